"""PyTorch 1.13 float64 side of bench/pytorch.js: the four curvature matrices of one MLP case and
their spectra, by PyTorch's fastest routes, timed stage by stage. Run by bench/pytorch.js with
Debian's python3-torch (/usr/bin/python3); prints one JSON line.

    /usr/bin/python3 bench/pytorch_compare.py DIR

DIR holds case.json ({layers, N, M, threads}) and params.bin / X.bin (float64) / y.bin (int32),
little-endian, in hessian-lab's parameter order (per layer W row-major out x in, then b): the same
order as torch.nn.Linear's (weight, bias).

Routes (each the fastest this script found on the case; the H loop and the vmapped HVP are both
timed on a slice and the faster runs in full):
  H  per-row Hessian-vector products: one double-backward per row of H (the loop), or
     functorch.vmap over batches of 64 unit vectors of the same double-backward (vjp of grad);
  G  J^T H_l J / N with J (N k x M) from functorch.vmap(jacrev) per sample;
  R  H - G (PyTorch has no separate route; this is its cheapest);
  C  P^T P / N with P (N x M) the per-sample gradients from functorch.vmap(grad);
  eigvalsh: numpy.linalg.eigvalsh on each of the four (LAPACK dsyevd through NumPy's BLAS).
"""
import json
import os
import sys
import time

import numpy as np
import torch
from functorch import grad, jacrev, vjp, vmap

torch.set_default_dtype(torch.float64)


def load(d):
    case = json.load(open(os.path.join(d, "case.json")))
    params = np.fromfile(os.path.join(d, "params.bin"), dtype="<f8")
    X = np.fromfile(os.path.join(d, "X.bin"), dtype="<f8").reshape(case["N"], case["layers"][0])
    y = np.fromfile(os.path.join(d, "y.bin"), dtype="<i4").astype(np.int64)
    return case, torch.from_numpy(params.copy()), torch.from_numpy(X.copy()), torch.from_numpy(y)


def make_forward(layers):
    shapes = []
    for l in range(1, len(layers)):
        shapes.append((layers[l], layers[l - 1]))

    def forward(w, X):
        a, off = X, 0
        for l, (o, i) in enumerate(shapes):
            W = w[off:off + o * i].view(o, i)
            off += o * i
            b = w[off:off + o]
            off += o
            a = a @ W.T + b
            if l < len(shapes) - 1:
                a = torch.relu(a)
        return a

    return forward


def main():
    case, w, X, y = load(sys.argv[1])
    torch.set_num_threads(int(case["threads"]))
    M, N = w.numel(), X.shape[0]
    forward = make_forward(case["layers"])

    def ce(out, yy):  # mean softmax cross-entropy, written out (nll_loss has no vmap-of-double-backward rule in 1.13)
        return (torch.logsumexp(out, 1) - out.gather(1, yy.unsqueeze(1)).squeeze(1)).mean()

    loss_of = lambda p: ce(forward(p, X), y)
    times = {}

    # H: the per-row HVP loop vs a vmapped batch of HVPs, timed on a slice; the faster runs in full.
    def hessian_loop(rows):
        p = w.clone().requires_grad_(True)
        g = torch.autograd.grad(loss_of(p), p, create_graph=True)[0]
        out = torch.empty(len(rows), M)
        for t, r in enumerate(rows):
            out[t] = torch.autograd.grad(g[r], p, retain_graph=True)[0]
        return out

    def hessian_vmap(rows, batch=64):
        _, pullback = vjp(grad(loss_of), w)  # reverse over reverse: v -> H v (H symmetric)

        def hv(v):
            return pullback(v)[0]

        out = torch.empty(len(rows), M)
        rows = list(rows)
        for s in range(0, len(rows), batch):
            idx = rows[s:s + batch]
            V = torch.zeros(len(idx), M)
            V[torch.arange(len(idx)), torch.tensor(idx)] = 1.0
            out[s:s + len(idx)] = vmap(hv)(V)
        return out

    probe = list(range(0, M, max(1, M // 128)))[:128]
    t = time.perf_counter(); hessian_loop(probe); loop_probe = time.perf_counter() - t
    t = time.perf_counter(); hessian_vmap(probe); vmap_probe = time.perf_counter() - t
    h_route = "vmap(vjp(grad))" if vmap_probe < loop_probe else "per-row HVP loop"
    t = time.perf_counter()
    H = (hessian_vmap if vmap_probe < loop_probe else hessian_loop)(range(M))
    times["hessian"] = time.perf_counter() - t

    # G = J^T H_l J / N, J_i = d f(x_i) / dw per sample (vmap of jacrev).
    t = time.perf_counter()
    f1 = lambda p, x: forward(p, x.unsqueeze(0)).squeeze(0)
    J = vmap(jacrev(f1), in_dims=(None, 0))(w, X)  # N x k x M
    prob = torch.softmax(forward(w, X), dim=1)  # N x k
    HJ = prob.unsqueeze(2) * J - prob.unsqueeze(2) * torch.einsum("nk,nkm->nm", prob, J).unsqueeze(1)
    G = torch.einsum("nkm,nkq->mq", J, HJ) / N
    del J, HJ
    times["ggn"] = time.perf_counter() - t

    t = time.perf_counter()
    R = H - G
    times["residual"] = time.perf_counter() - t

    # C = P^T P / N, P the per-sample gradients (vmap of grad).
    t = time.perf_counter()
    l1 = lambda p, x, yy: ce(forward(p, x.unsqueeze(0)), yy.unsqueeze(0))
    P = vmap(grad(l1), in_dims=(None, 0, 0))(w, X, y)  # N x M
    C = P.T @ P / N
    times["gradient_covariance"] = time.perf_counter() - t

    eig = {}
    tops = {}
    for name, A in (("hessian", H), ("ggn", G), ("residual", R), ("gradient_covariance", C)):
        a = A.numpy()
        a = (a + a.T) / 2
        t = time.perf_counter()
        v = np.linalg.eigvalsh(a)
        eig[name] = time.perf_counter() - t
        tops[name] = [float(v[0]), float(v[-1])]
    print(json.dumps({
        "torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(), "M": M, "N": N,
        "h_route": h_route, "h_probe": {"loop": loop_probe, "vmap": vmap_probe, "rows": len(probe)},
        "assembly": times, "eigvalsh": eig, "extremes": tops,
    }))


if __name__ == "__main__":
    main()
