#include "runtimes/errors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace modelrepo::internal {

std::string CleanLibraryMessage(std::string_view message, std::string_view model_path,
                                std::string_view display_path) {
  std::string text(message);
  if (!model_path.empty()) {
    for (size_t at = text.find(model_path); at != std::string::npos;
         at = text.find(model_path, at + display_path.size())) {
      text.replace(at, model_path.size(), display_path);
    }
  }
  // Drop "[hh:mm:ss] " and "/path/to/source.cc:123: " prefixes.
  if (text.size() > 11 && text[0] == '[' && text[9] == ']') text.erase(0, 11);
  if (!text.empty() && text[0] == '/') {
    size_t colon = text.find(": ");
    if (colon != std::string::npos) text.erase(0, colon + 2);
  }
  // Any other absolute path keeps only its file name.
  for (size_t at = text.find('/'); at != std::string::npos; at = text.find('/', at + 1)) {
    bool starts = at == 0 || text[at - 1] == ' ' || text[at - 1] == '\'' || text[at - 1] == '"' ||
                  text[at - 1] == '(' || text[at - 1] == '=' || text[at - 1] == ':';
    if (!starts) continue;
    size_t end = text.find_first_of(" '\"):,\n", at);
    if (end == std::string::npos) end = text.size();
    size_t slash = text.rfind('/', end - 1);
    text.erase(at, slash + 1 - at);
  }
  if (size_t nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  if (text.size() > 300) {
    text.resize(300);
    text += "...";
  }
  return text.empty() ? std::string("unknown error") : text;
}

Status UnknownOutput(std::string_view model, std::string_view name,
                     const std::vector<TensorSpec>& available) {
  std::vector<std::string_view> names;
  for (const auto& spec : available) names.push_back(spec.name);
  return Status::InvalidArgument(fmt::format("model {} has no output '{}'; it can compute: {}",
                                             model, name, fmt::join(names, ", ")));
}

std::string DescribeModel(std::string_view name, std::string_view version) {
  return version.empty() ? fmt::format("model {}", name) : fmt::format("model {} version {}", name, version);
}

std::string DescribeModel(const ModelSettings& settings) { return DescribeModel(settings.name, settings.version); }

bool HasExtension(std::string_view file, std::initializer_list<std::string_view> extensions) {
  for (std::string_view ext : extensions) {
    if (file.size() >= ext.size() && file.substr(file.size() - ext.size()) == ext) return true;
  }
  return false;
}

StatusOr<std::string> ReadModelFile(const std::string& path, std::string_view display_path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Status::InvalidArgument(fmt::format("cannot open {}", display_path));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(fmt::format("{} is not a regular file", display_path));
  }
  if (static_cast<uintmax_t>(st.st_size) > kMaxModelFileBytes) {
    return Status::InvalidArgument(fmt::format("{} is larger than 1 GiB", display_path));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t have = 0;
  while (have < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + have, bytes.size() - have);
    if (n < 0) return Status::InvalidArgument(fmt::format("cannot read {}", display_path));
    if (n == 0) break;  // the file shrank while being read
    have += static_cast<size_t>(n);
  }
  bytes.resize(have);
  return bytes;
}

}  // namespace modelrepo::internal
