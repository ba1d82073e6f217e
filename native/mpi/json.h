// A small JSON reader for the one file the MPI driver reads besides .npy: model.json, written by
// the Node side (src/engine/distributed.ts) as the addon's raw model form. It accepts standard
// JSON (objects, arrays, numbers, strings with the usual escapes, true/false/null) and reports
// the byte offset of the first error. Numbers are doubles; integers are checked by the caller.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hlmpi {

struct Json {
  enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  /// The member `key` of an object, or nullptr when absent (or when this is not an object).
  const Json* get(const std::string& key) const;
};

/// Parses a whole document; throws std::runtime_error("model.json: ... at byte N").
Json parse_json(const std::string& text, const std::string& source);

}  // namespace hlmpi
