// modelrepo-bench-inprocess: the cost of libmodelrepo's in-process inference against the bare
// library calls it wraps, measured side by side in one run.
//
//   modelrepo-bench-inprocess [--quick] [--repo DIR] [--data DIR]
//
// For each example model and batch size (1 row, 1,000 rows) it alternates rounds of the bare call
// (XGBoosterPredictFromDense with a reused proxy DMatrix and nthread 1; svm_predict per row on
// prebuilt nodes) and of Repository::Infer on the same rows, and prints the median time per call
// of each and their ratio. Rounds alternate so that machine noise hits both sides alike.
// It also times the V2 JSON codec on the XGBoost requests (the bodies bench/run.sh sends): decoding
// the request and encoding the response, which the HTTP server does around each inference.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <libsvm/svm.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include "modelrepo/repository.h"
#include "modelrepo/v2json.h"

namespace {

using Clock = std::chrono::steady_clock;

// Dense rows from a LIBSVM text file (1-based feature indices).
std::vector<float> ReadLibSVM(const std::string& path, int features, int max_rows) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<float> rows;
  std::string line;
  int n = 0;
  while (n < max_rows && std::getline(in, line)) {
    std::vector<float> row(features, 0.f);
    std::istringstream ss(line);
    std::string tok;
    ss >> tok;  // label
    while (ss >> tok) {
      auto colon = tok.find(':');
      int idx = std::stoi(tok.substr(0, colon));
      if (idx >= 1 && idx <= features) row[idx - 1] = std::stof(tok.substr(colon + 1));
    }
    rows.insert(rows.end(), row.begin(), row.end());
    ++n;
  }
  return rows;
}

// Repeats `rows` until it holds `n` rows.
std::vector<float> Tile(const std::vector<float>& rows, int features, int n) {
  std::vector<float> out;
  size_t have = rows.size() / features;
  for (int i = 0; i < n; ++i) {
    size_t r = i % have;
    out.insert(out.end(), rows.begin() + r * features, rows.begin() + (r + 1) * features);
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Per-call time (µs) of each round of `calls` calls.
double Round(const std::function<void()>& fn, int calls) {
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) fn();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / calls;
}

struct Result {
  std::string model;
  int rows;
  double bare_us;
  double repo_us;
};

Result Compare(const std::string& model, int rows, const std::function<void()>& bare,
               const std::function<void()>& repo, int rounds, int calls) {
  std::vector<double> b, r;
  for (int i = 0; i < 3; ++i) {  // warm-up
    bare();
    repo();
  }
  for (int i = 0; i < rounds; ++i) {
    b.push_back(Round(bare, calls));
    r.push_back(Round(repo, calls));
  }
  return {model, rows, Median(b), Median(r)};
}

struct CodecResult {
  int rows;
  size_t body_bytes;
  double decode_us;
  double encode_us;
};

void Check(int rc) {
  if (rc != 0) {
    std::fprintf(stderr, "xgboost: %s\n", XGBGetLastError());
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string source = MODELREPO_SOURCE_DIR;
  std::string repo_dir = source + "/examples/models";
  std::string data_dir = source + "/examples/data";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--repo" && i + 1 < argc) repo_dir = argv[++i];
    else if (a == "--data" && i + 1 < argc) data_dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--repo DIR] [--data DIR]\n", argv[0]);
      return 2;
    }
  }
  const int rounds = quick ? 3 : 31;

  auto opened = modelrepo::Repository::Open(repo_dir);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  modelrepo::Repository& repo = **opened;

  std::vector<Result> results;
  std::vector<CodecResult> codec;

  // --- XGBoost: mushroom-xgboost, 126 features.
  {
    const int F = 126;
    auto base = ReadLibSVM(data_dir + "/agaricus.txt.test", F, 1000);
    BoosterHandle booster;
    Check(XGBoosterCreate(nullptr, 0, &booster));
    Check(XGBoosterLoadModel(booster, (repo_dir + "/mushroom-xgboost/model.json").c_str()));
    Check(XGBoosterSetParam(booster, "nthread", "1"));
    DMatrixHandle proxy;
    Check(XGProxyDMatrixCreate(&proxy));
    const char* config =
        R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})";
    for (int n : {1, 1000}) {
      std::vector<float> x = Tile(base, F, n);
      std::string array = fmt::format(
          R"({{"data":[{},true],"shape":[{},{}],"typestr":"<f4","version":3}})",
          reinterpret_cast<uintptr_t>(x.data()), n, F);
      std::vector<float> sink(n);
      auto bare = [&] {
        const bst_ulong* shape;
        bst_ulong dim;
        const float* out;
        Check(XGBoosterPredictFromDense(booster, array.c_str(), config, proxy, &shape, &dim, &out));
        std::memcpy(sink.data(), out, n * sizeof(float));  // the wrapper copies out too
      };
      modelrepo::InferRequest req;
      req.model = "mushroom-xgboost";
      req.inputs.push_back(
          modelrepo::Tensor::From<float>("predict", modelrepo::DataType::kFp32, {n, F}, x));
      auto wrapped = [&] {
        auto res = repo.Infer(req);
        if (!res.ok()) {
          std::fprintf(stderr, "%s\n", res.status().ToString().c_str());
          std::exit(1);
        }
      };
      int calls = n == 1 ? (quick ? 200 : 2000) : (quick ? 5 : 50);
      results.push_back(Compare("mushroom-xgboost", n, bare, wrapped, rounds, calls));

      // The JSON codec on the same request: decode its body, encode its response.
      std::string body = modelrepo::v2json::EncodeInferRequest(req, "req-1");
      auto response = repo.Infer(req);
      if (!response.ok()) return 1;
      std::string out;
      auto decode = [&] {
        auto m = modelrepo::v2json::DecodeInferRequest(body);
        if (!m.ok()) {
          std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
          std::exit(1);
        }
      };
      auto encode = [&] {
        out.clear();
        modelrepo::v2json::AppendInferResponse(*response, "req-1", &out);
      };
      Result c = Compare("codec", n, decode, encode, rounds, calls);
      codec.push_back({n, body.size(), c.bare_us, c.repo_us});
    }
    XGDMatrixFree(proxy);
    XGBoosterFree(booster);
  }

  // --- libsvm: mnist-svm, 64 features.
  {
    const int F = 64;
    auto base = ReadLibSVM(data_dir + "/digits.test.libsvm", F, 1000);
    svm_model* model = svm_load_model((repo_dir + "/mnist-svm/model.libsvm").c_str());
    if (!model) {
      std::fprintf(stderr, "cannot load the libsvm model\n");
      return 1;
    }
    for (int n : {1, 1000}) {
      std::vector<float> xf = Tile(base, F, n);
      std::vector<double> x(xf.begin(), xf.end());
      // The bare call gets its nodes prebuilt; the wrapper builds them from dense rows per call.
      std::vector<std::vector<svm_node>> nodes(n);
      for (int r = 0; r < n; ++r) {
        for (int j = 0; j < F; ++j) {
          if (x[r * F + j] != 0) nodes[r].push_back({j + 1, x[r * F + j]});
        }
        nodes[r].push_back({-1, 0});
      }
      std::vector<double> sink(n);
      auto bare = [&] {
        for (int r = 0; r < n; ++r) sink[r] = svm_predict(model, nodes[r].data());
      };
      modelrepo::InferRequest req;
      req.model = "mnist-svm";
      req.inputs.push_back(
          modelrepo::Tensor::From<double>("predict", modelrepo::DataType::kFp64, {n, F}, x));
      auto wrapped = [&] {
        auto res = repo.Infer(req);
        if (!res.ok()) {
          std::fprintf(stderr, "%s\n", res.status().ToString().c_str());
          std::exit(1);
        }
      };
      int calls = n == 1 ? (quick ? 20 : 200) : 1;
      results.push_back(Compare("mnist-svm", n, bare, wrapped, quick ? 3 : 11, calls));
    }
    svm_free_and_destroy_model(&model);
  }

  // --- Index of a large repository: 1,000 model folders (copies of mushroom-xgboost).
  {
    namespace fs = std::filesystem;
    const int models = quick ? 100 : 1000;
    fs::path dir = fs::temp_directory_path() / fmt::format("modelrepo-bench-{}", ::getpid());
    fs::remove_all(dir);
    for (int i = 0; i < models; ++i) {
      fs::path m = dir / fmt::format("model-{:04d}", i);
      fs::create_directories(m);
      fs::copy_file(repo_dir + "/mushroom-xgboost/model.json", m / "model.json");
      std::ofstream(m / "model-settings.json") << R"({"implementation": "xgboost", "parameters": {"version": "1"}})";
    }
    for (bool load : {false, true}) {
      modelrepo::RepositoryOptions options;
      options.load_models_at_startup = load;
      auto start = Clock::now();
      auto big = modelrepo::Repository::Open(dir.string(), options);
      auto index = (*big)->Index();
      double startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!index.ok() || index->size() != static_cast<size_t>(models)) {
        std::fprintf(stderr, "index of the large repository failed\n");
        return 1;
      }
      std::vector<double> calls;
      for (int i = 0; i < (quick ? 5 : 51); ++i) {
        auto t = Clock::now();
        auto again = (*big)->Index();
        calls.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      }
      std::printf("repository of %d models, %s: open + first index %.1f ms, index median %.2f ms\n",
                  models, load ? "all loaded at startup" : "none loaded", startup_ms, Median(calls));
    }
    fs::remove_all(dir);
  }

  std::printf("in-process inference, median time per call over %d alternating rounds%s\n", rounds,
              quick ? " (quick mode: figures are rough)" : "");
  std::printf("%-18s %6s %14s %14s %8s\n", "model", "rows", "bare call us", "Repository us",
              "ratio");
  for (const auto& r : results) {
    std::printf("%-18s %6d %14.2f %14.2f %8.3f\n", r.model.c_str(), r.rows, r.bare_us, r.repo_us,
                r.repo_us / r.bare_us);
  }
  std::printf("V2 JSON codec on the mushroom-xgboost requests, median time per call\n");
  std::printf("%-18s %6s %14s %14s %8s\n", "codec", "rows", "decode us", "encode us", "bytes");
  for (const auto& c : codec) {
    std::printf("%-18s %6d %14.2f %14.2f %8zu\n", "codec", c.rows, c.decode_us, c.encode_us,
                c.body_bytes);
  }
  return 0;
}
