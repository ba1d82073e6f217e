// hessian_lab_mpi: exact spectra of H, G, R, C over MPI ranks with ScaLAPACK (`analyze --ranks`).
//
//   hessian_lab_mpi --plan --input DIR --ranks K [--block NB] [--vectors] [--matrices LIST]
//       no MPI: prints plan.h's JSON (grid, local sizes, bytes per rank, refusal) and exits
//   mpirun -n K hessian_lab_mpi --input DIR --out DIR [--matrices LIST] [--vectors] [--block NB]
//       [--threads T]
//
// DIR/ holds what src/engine/distributed.ts writes: model.json (the addon's raw model form),
// params.npy (M float64), X.npy (N x d0 float64), y.npy (N int32). Rank 0 reads them and
// broadcasts (no shared file system needed); every rank assembles its part of each matrix
// (block_cyclic.h), ScaLAPACK solves, rank 0 writes OUT/eigenvalues_<m>.npy,
// OUT/eigenvectors_<m>.npy (with --vectors; M x M, column j = eigenvector j) and OUT/result.json
// (driver per matrix, timings max over ranks, and per rank: host, timings, peak RSS).
//
// Protocol on stdout (rank 0, one line each, for the Node side): `@rank R PID HOST` (every rank),
// `@progress MATRIX STAGE FRACTION`, `@done`. Any failure prints ONE line
// `hessian-lab-mpi: error: ...` on stderr and ends the whole job (MPI_Abort, exit code 2).
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.h"
#include "block_cyclic.h"
#include "npy_io.h"
#include "plan.h"
#include "scalapack.h"

using namespace hlmpi;

namespace {

constexpr int kExitFailure = 2;
constexpr double kVectorPanelBytes = 64.0 * 1024 * 1024;

struct Args {
  std::string input, out;
  std::vector<std::string> matrices{"hessian", "ggn", "residual", "gradient_covariance"};
  bool plan = false, vectors = false;
  I64 block = 64;
  int ranks = 0, threads = 1, fault_rank = -1;
};

[[noreturn]] void die(const std::string& message) {
  int up = 0;
  MPI_Initialized(&up);
  int rank = 0;
  if (up) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "hessian-lab-mpi: error: %s%s\n", up ? ("rank " + std::to_string(rank) + ": ").c_str() : "",
               message.c_str());
  std::fflush(stderr);
  if (up) MPI_Abort(MPI_COMM_WORLD, kExitFailure);
  std::exit(kExitFailure);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Args parse_args(int argc, char** argv) {
  Args a;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw std::runtime_error(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto integer = [&](int& i, long lo, long hi) {
    const std::string flag = argv[i], v = value(i);
    char* end = nullptr;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || x < lo || x > hi)
      throw std::runtime_error(flag + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]; received \"" + v + "\"");
    return x;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    if (f == "--input") a.input = value(i);
    else if (f == "--out") a.out = value(i);
    else if (f == "--matrices") a.matrices = split(value(i));
    else if (f == "--plan") a.plan = true;
    else if (f == "--vectors") a.vectors = true;
    else if (f == "--block") a.block = integer(i, 1, 4096);
    else if (f == "--ranks") a.ranks = static_cast<int>(integer(i, 1, 1 << 22));
    else if (f == "--threads") a.threads = static_cast<int>(integer(i, 1, 4096));
    else if (f == "--test-fault-rank") a.fault_rank = static_cast<int>(integer(i, 0, 1 << 22));
    else throw std::runtime_error("unknown option " + f);
  }
  // Test hook for the failure tests (test/90): one rank passes an illegal LWORK to ScaLAPACK.
  if (const char* fault = std::getenv("HESSIAN_LAB_MPI_TEST_FAULT_RANK")) a.fault_rank = std::atoi(fault);
  if (a.input.empty()) throw std::runtime_error("--input DIR is required");
  if (!a.plan && a.out.empty()) throw std::runtime_error("--out DIR is required");
  if (a.matrices.empty()) throw std::runtime_error("--matrices must name at least one matrix");
  return a;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The largest assembly workspace over the requested matrices.
double workspace_of(const Backend& backend, const std::vector<std::string>& matrices, I64 N) {
  double w = 0;
  for (const auto& m : matrices) w = std::max(w, backend.workspace_bytes(m, N));
  return w;
}

double peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return 1024.0 * std::atof(line.c_str() + 6);
  return -1;
}

template <class T>
void bcast(std::vector<T>& v, MPI_Datatype type) {
  I64 n = static_cast<I64>(v.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  v.resize(size_t(n));
  const I64 chunk = 1 << 28;  // MPI counts are int
  for (I64 i = 0; i < n; i += chunk)
    MPI_Bcast(v.data() + i, static_cast<int>(std::min(chunk, n - i)), type, 0, MPI_COMM_WORLD);
}

void bcast_string(std::string& s) {
  std::vector<char> v(s.begin(), s.end());
  bcast(v, MPI_CHAR);
  s.assign(v.begin(), v.end());
}

int run_plan(const Args& args) {
  const Backend backend(read_text(args.input + "/model.json"), args.threads);
  const NpyArray X = read_npy(args.input + "/X.npy", true);
  const I64 N = X.shape.empty() ? 0 : X.shape[0];
  const int ranks = args.ranks > 0 ? args.ranks : 1;
  const Plan plan = make_plan(backend.param_count(), N, backend.inputs(), args.block, ranks, args.vectors,
                              workspace_of(backend, args.matrices, N));
  std::printf("%s\n", plan.json().c_str());
  return 0;
}

struct KindTimes {
  double core = 0, redistribute = 0, solve = 0, vectors = 0;
  I64 lwork = 0;  // rank 0's
};

int run(const Args& args) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char host[MPI_MAX_PROCESSOR_NAME] = {0};
  int host_len = 0;
  MPI_Get_processor_name(host, &host_len);
  std::printf("@rank %d %d %s\n", rank, static_cast<int>(getpid()), host);
  std::fflush(stdout);

  // Rank 0 reads and checks the inputs; the others get them by broadcast.
  std::string model_json, failure;
  Problem problem;
  if (rank == 0) {
    try {
      model_json = read_text(args.input + "/model.json");
      NpyArray p = read_npy(args.input + "/params.npy"), X = read_npy(args.input + "/X.npy"),
               y = read_npy(args.input + "/y.npy");
      if (p.f64.empty() || X.f64.empty() || y.i32.empty()) throw std::runtime_error("params/X must be float64, y int32");
      problem.params = std::move(p.f64);
      problem.X = std::move(X.f64);
      problem.y = std::move(y.i32);
      const Backend check(model_json);
      check.validate(problem.params.data(), I64(problem.params.size()), problem.X.data(), problem.y.data(),
                     I64(problem.y.size()));
      if (problem.X.size() != problem.y.size() * size_t(check.inputs())) throw std::runtime_error("X.npy must be N x inputs");
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  bcast_string(failure);
  if (!failure.empty()) die(failure);  // rank 0 prints; every rank aborts the same way
  bcast_string(model_json);
  bcast(problem.params, MPI_DOUBLE);
  bcast(problem.X, MPI_DOUBLE);
  bcast(problem.y, MPI_INT32_T);
  const Backend backend(model_json, args.threads);
  problem.backend = &backend;
  problem.N = static_cast<I64>(problem.y.size());
  const I64 M = backend.param_count();

  const Plan plan = make_plan(M, problem.N, backend.inputs(), args.block, size, args.vectors,
                              workspace_of(backend, args.matrices, problem.N));
  if (!plan.refusal.empty()) throw std::runtime_error(plan.refusal);
  if (plan.empty_rank)
    throw std::runtime_error("M = " + std::to_string(M) + " in blocks of " + std::to_string(args.block) +
                             " leaves a rank of the " + std::to_string(plan.grid.rows) + " x " +
                             std::to_string(plan.grid.cols) + " grid without data: use fewer ranks or a smaller block");

  int pnum = 0, nprocs = 0;
  blacs_pinfo_(&pnum, &nprocs);
  Context all = make_context(1, size);
  Context grid = make_context(plan.grid.rows, plan.grid.cols);
  std::vector<KindTimes> times(args.matrices.size());
  std::vector<std::string> drivers;
  for (size_t k = 0; k < args.matrices.size(); ++k) {
    const std::string& kind = args.matrices[k];
    auto say = [&](const char* stage, double f) {
      if (rank != 0) return;
      std::printf("@progress %s %s %.4f\n", kind.c_str(), stage, f);
      std::fflush(stdout);
    };
    DistributedMatrix A = make_matrix(M, args.block, grid);
    say("assembly", 0);
    const AssemblyTimes at = assemble_lower(problem, kind, plan, all, A, [&](double f) { say("assembly", f); });
    times[k].core = at.core;
    times[k].redistribute = at.redistribute;
    say("eigensolve", 0);
    double start = MPI_Wtime();
    std::vector<double> values;
    DistributedMatrix Z;
    if (args.vectors) Z = make_matrix(M, args.block, grid);
    drivers.push_back(solve(A, args.vectors ? &Z : nullptr, grid, values, args.fault_rank, times[k].lwork));
    times[k].solve = MPI_Wtime() - start;
    say("eigensolve", 1);
    A.local = std::vector<double>();
    if (rank == 0) {
      NpyWriter w(args.out + "/eigenvalues_" + kind + ".npy", {M}, false);
      w.write(values.data(), M);
      w.close();
    }
    if (args.vectors) {
      start = MPI_Wtime();
      write_vectors(Z, all, args.out + "/eigenvectors_" + kind + ".npy", kVectorPanelBytes);
      times[k].vectors = MPI_Wtime() - start;
    }
  }

  // Per-rank timings and peak memory to rank 0, then result.json.
  std::vector<double> mine;
  for (const auto& t : times) mine.insert(mine.end(), {t.core, t.redistribute, t.solve, t.vectors});
  mine.push_back(peak_rss_bytes());
  std::vector<double> every(rank == 0 ? mine.size() * size_t(size) : 0);
  MPI_Gather(mine.data(), int(mine.size()), MPI_DOUBLE, every.data(), int(mine.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  std::vector<char> hosts(rank == 0 ? size_t(size) * MPI_MAX_PROCESSOR_NAME : 0);
  MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    const size_t stride = mine.size();
    std::ostringstream s;
    s.precision(9);
    s << "{\"format\":\"hessian-lab/mpi-result@1\",\"ranks\":" << size << ",\"threads\":" << args.threads
      << ",\"plan\":" << plan.json() << ",\"matrices\":{";
    for (size_t k = 0; k < args.matrices.size(); ++k) {
      double core = 0, redistribute = 0, solve_s = 0, vec = 0;
      for (int r = 0; r < size; ++r) {
        const double* t = &every[size_t(r) * stride + 4 * k];
        core = std::max(core, t[0]);
        redistribute = std::max(redistribute, t[1]);
        solve_s = std::max(solve_s, t[2]);
        vec = std::max(vec, t[3]);
      }
      s << (k ? "," : "") << "\"" << args.matrices[k] << "\":{\"driver\":\"" << drivers[k]
        << "\",\"assembly_seconds\":" << core + redistribute << ",\"core_seconds\":" << core
        << ",\"redistribute_seconds\":" << redistribute << ",\"eigensolve_seconds\":" << solve_s
        << ",\"vectors_write_seconds\":" << vec << ",\"lwork\":" << times[k].lwork << ",\"eigenvalues\":\"eigenvalues_" << args.matrices[k] << ".npy\""
        << (args.vectors ? ",\"eigenvectors\":\"eigenvectors_" + args.matrices[k] + ".npy\"" : "") << "}";
    }
    s << "},\"per_rank\":[";
    for (int r = 0; r < size; ++r) {
      const double* t = &every[size_t(r) * stride];
      s << (r ? "," : "") << "{\"rank\":" << r << ",\"host\":\"" << &hosts[size_t(r) * MPI_MAX_PROCESSOR_NAME]
        << "\",\"peak_rss_bytes\":" << t[stride - 1] << ",\"seconds\":{";
      for (size_t k = 0; k < args.matrices.size(); ++k)
        s << (k ? "," : "") << "\"" << args.matrices[k] << "\":{\"assembly\":" << t[4 * k] + t[4 * k + 1]
          << ",\"eigensolve\":" << t[4 * k + 2] << ",\"vectors_write\":" << t[4 * k + 3] << "}";
      s << "}}";
    }
    s << "]}\n";
    write_text_atomic(args.out + "/result.json", s.str());
    std::printf("@done\n");
    std::fflush(stdout);
  }
  free_context(grid);
  free_context(all);
  return 0;
}

}  // namespace

// ScaLAPACK calls this on an illegal argument. Its own version prints and returns, leaving the
// other ranks in a collective forever; ours ends the whole job with one line.
extern "C" __attribute__((visibility("default"))) void pxerbla_(const int* /*ictxt*/, const char* srname, const int* info, std::size_t srname_len) {
  std::string name(srname, strnlen(srname, srname_len));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  die("ScaLAPACK " + name + ": parameter " + std::to_string(*info) + " had an illegal value");
}

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
    if (args.plan) return run_plan(args);
  } catch (const std::exception& e) {
    die(e.what());
  }
  MPI_Init(&argc, &argv);
  try {
    run(args);
  } catch (const std::exception& e) {
    die(e.what());
  }
  MPI_Finalize();
  return 0;
}
