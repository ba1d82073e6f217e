// JS functions over the training core (native/core/train.h): one training segment of one run,
// many independent runs in parallel, and loss/accuracy of many parameter vectors (the straight
// lines between checkpoints). All are async PromiseWorkers with progress and a CancelToken.
#pragma once

#include <napi.h>

namespace hlnode {

/// trainSegment(model, params, velocity|undefined, X, y, testX|undefined, testY|undefined,
///   {phases, seed, startStep, endStep, recordEvery, gradNormStop}, token?, onProgress?)
///   -> Promise<{params, velocity, step, stopped: 'segment'|'steps'|'gradNorm', records}>
Napi::Value TrainSegment(const Napi::CallbackInfo& info);
/// trainMany(model, inits (R x M), X, y, testX|undefined, testY|undefined,
///   {phases, seed, recordEvery, gradNormStop, runs, threads}, token?, onProgress?)
///   -> Promise<{params, status, steps, trainLoss, trainAccuracy, gradNorm, testLoss, testAccuracy, seconds}>
Napi::Value TrainMany(const Napi::CallbackInfo& info);
/// evaluateMany(model, params (P x M), X, y, {count, gradient}, token?, onProgress?)
///   -> Promise<{loss, accuracy, gradNorm?}>
Napi::Value EvaluateMany(const Napi::CallbackInfo& info);

}  // namespace hlnode
