"""Hostile JSON and tensors on /v2/models/{m}/infer and the repository API: nesting depth, shapes
that overflow, bad dimensions, element counts and types, out-of-range values per datatype,
duplicate or missing keys, wrong feature counts, NaN/Infinity, invalid UTF-8 and NULs, huge ids
and non-object bodies. Each is a 400 with {"error": ...} (the decoder's contract,
lib/v2json/src/decode.cc), and the server then still answers a real inference correctly."""
import json

import numpy as np
import pytest
import requests

import oracles
from helpers import check_error, check_serving, infer_body

INFER = "/v2/models/mushroom-xgboost/infer"
ROW = [0.0] * 126


def tensor(**fields):
    t = {"name": "x", "shape": [1, 126], "datatype": "FP32", "data": ROW}
    t.update(fields)
    return {k: v for k, v in t.items() if v is not OMIT}


OMIT = object()


def request(*inputs, **top):
    return json.dumps({"inputs": list(inputs) or [tensor()], **top})


def post(server, path, body):
    data = body if isinstance(body, bytes) else body.encode()
    return requests.post(server.url + path, data=data, timeout=60)


# ---- Nesting depth ------------------------------------------------------------------------------

DEPTHS = [65, 1000, 10_000, 100_000, 1_000_000]


def deep(kind, depth):
    if kind == "arrays":
        return "[" * depth + "]" * depth
    if kind == "objects":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "unclosed-arrays":
        return "[" * depth
    if kind == "data-arrays":  # deep inside a tensor's data
        return '{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":' + "[" * depth + "1" + "]" * depth + "}]}"
    if kind == "parameters":  # deep inside a skipped value
        return '{"parameters":' + '{"a":' * depth + "1" + "}" * depth + ',"inputs":[]}'
    if kind == "unknown-key":
        return '{"zzz":' + "[" * depth + "]" * depth + ',"inputs":[]}'
    if kind == "outputs":
        return '{"inputs":[],"outputs":[{"name":"predict","parameters":' + "[" * depth + "]" * depth + "}]}"
    raise ValueError(kind)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["arrays", "objects", "unclosed-arrays", "data-arrays", "parameters",
                                  "unknown-key", "outputs"])
@pytest.mark.parametrize("path", [INFER, "/v2/repository/index", "/v2/repository/models/mnist-svm/load"])
def test_deep_nesting_is_refused(shared_server, mushroom, path, kind, depth):
    if path != INFER and kind in ("data-arrays", "outputs"):
        pytest.skip("inference-only shape")
    r = post(shared_server, path, deep(kind, depth))
    message = check_error(r, 400)
    # Refused by the depth limit, or earlier by what the root or a key must be; never read deeper.
    assert any(m in message for m in ("nested deeper than 64 levels", "must be a JSON object", "malformed JSON",
                                      "'parameters' must be an object")), message
    check_serving(shared_server, mushroom)


def test_nesting_at_the_limit_is_read(shared_server):
    """64 levels in all are allowed: the depth limit is not off by one the other way."""
    body = '{"inputs":[{"name":"x","shape":[1,126],"datatype":"FP32","data":' + "[" * 61 + ",".join(["0"] * 126) + \
        "]" * 61 + "}]}"
    r = post(shared_server, INFER, body)
    assert r.status_code == 200, r.text


# ---- Shapes -------------------------------------------------------------------------------------

SHAPES = [
    ([2 ** 32, 2 ** 32], "overflows"), ([2 ** 62, 4], "overflows"), ([3037000500, 3037000500], "overflows"),
    ([2 ** 63 - 1, 2], "overflows"), ([1, 2 ** 31, 2 ** 31, 2 ** 31], "overflows"),
    ([2 ** 63], "not a non-negative integer"), ([2 ** 64], "not a non-negative integer"),
    ([10 ** 30, 126], "not a non-negative integer"), ([-1, 126], "not a non-negative integer"),
    ([1, -126], "not a non-negative integer"), ([-9223372036854775808, 126], "not a non-negative integer"),
    ([1.5, 126], "not a non-negative integer"), ([1.0, 126], "not a non-negative integer"),
    ([1e2, 126], "not a non-negative integer"), (["1", 126], "'shape' must be an array of integers"),
    ([None, 126], "'shape' must be an array of integers"), ([True, 126], "'shape' must be an array of integers"),
    ([[1], 126], "'shape' must be an array of integers"), ([{"a": 1}, 126], "'shape' must be an array of integers"),
    ("1,126", "'shape' must be an array of integers"), (126, "'shape' must be an array of integers"),
    ({"0": 1}, "'shape' must be an array of integers"),
]


@pytest.mark.parametrize("shape,contains", SHAPES, ids=[json.dumps(s[0])[:40] for s in SHAPES])
def test_bad_shapes(shared_server, mushroom, shape, contains):
    r = post(shared_server, INFER, request(tensor(shape=shape)))
    check_error(r, 400, contains=contains)
    check_serving(shared_server, mushroom)


def test_huge_shape_with_little_data_allocates_nothing(shared_server, mushroom):
    """A valid shape with a huge (non-overflowing) product and one element: refused on the shape
    alone by the element cap (--max-batch-elements), before any allocation of that size."""
    for shape in ([2 ** 40, 126], [2 ** 55, 1], [1, 2 ** 62]):
        r = post(shared_server, INFER, request(tensor(shape=shape, data=[1.0])))
        check_error(r, 400, f"input 'x' has {shape[0] * shape[1]} elements; with the inputs before it, the "
                    "request would exceed this server's limit of 16777216 elements")
    check_serving(shared_server, mushroom)


@pytest.mark.parametrize("shape,count", [([1, 126], 125), ([1, 126], 127), ([2, 126], 126), ([0, 126], 1),
                                         ([1, 126], 0), ([126], 252), ([1, 1, 126], 125)])
@pytest.mark.parametrize("nested", [False, True])
def test_element_count_differs_from_shape(shared_server, mushroom, shape, count, nested):
    data = [0.5] * count
    if nested and count and count % 2 == 0:
        data = [data[:count // 2], data[count // 2:]]
    r = post(shared_server, INFER, request(tensor(shape=shape, data=data)))
    check_error(r, 400, contains=f"has {count} elements but its shape")
    check_serving(shared_server, mushroom)


# ---- Element types and ranges -------------------------------------------------------------------

class Raw(str):
    """JSON text put in a data array as is (numbers beyond Python's float, NaN, Infinity)."""


RANGE = [
    ("INT8", [300]), ("INT8", [-129]), ("INT8", [128]), ("INT8", [1.5]), ("UINT8", [-1]), ("UINT8", [256]),
    ("UINT8", [0.1]), ("INT16", [32768]), ("INT16", [-32769]), ("UINT16", [65536]), ("UINT16", [-1]),
    ("INT32", [2 ** 31]), ("INT32", [-2 ** 31 - 1]), ("UINT32", [2 ** 32]), ("UINT32", [-1]),
    ("INT64", [2 ** 63]), ("INT64", [-2 ** 63 - 1]), ("INT64", [Raw("1e19")]), ("INT64", [10 ** 40]),
    ("UINT64", [2 ** 64]), ("UINT64", [-1]), ("UINT64", [Raw("1e20")]),
    ("FP16", [1e6]), ("FP16", [65520]), ("FP16", [-1e5]), ("FP32", [1e39]), ("FP32", [-3.5e38]),
    ("FP32", [Raw("1e999999999")]), ("FP64", [Raw("1e309")]), ("FP64", [Raw("-1e400")]), ("FP64", [Raw("1" + "0" * 400)]),
    ("BOOL", [2]), ("BOOL", [0]), ("BOOL", [1]), ("BOOL", ["true"]), ("BOOL", [None]),
    ("INT32", [None]), ("INT32", [True]), ("INT32", ["1"]), ("FP32", ["1.0"]), ("FP32", [True]),
    ("FP32", [[]]), ("FP32", [{}]), ("FP64", [{"a": 1}]), ("BYTES", [1]), ("BYTES", [None]),
    ("INT8", [Raw("NaN")]), ("UINT8", [Raw("Infinity")]), ("INT64", [Raw("-Infinity")]), ("BOOL", [Raw("NaN")]),
]


def raw_data(datatype, values):
    """A request body whose data array starts with `values` (Raw ones as is, others as JSON),
    padded with valid elements to 126."""
    def text(v):
        return str(v) if isinstance(v, Raw) else json.dumps(v)
    pad = "false" if datatype == "BOOL" else ('"a"' if datatype == "BYTES" else "0")
    elements = [text(v) for v in values] + [pad] * (126 - len(values))
    return ('{"inputs":[{"name":"x","shape":[1,126],"datatype":"%s","data":[%s]}]}'
            % (datatype, ",".join(elements)))


@pytest.mark.parametrize("datatype,values", RANGE, ids=[f"{d}-{json.dumps(v)[:24]}" for d, v in RANGE])
def test_elements_of_the_wrong_type_or_range(shared_server, mushroom, datatype, values):
    r = post(shared_server, INFER, raw_data(datatype, values))
    message = check_error(r, 400)
    assert any(m in message for m in ("element 0", "malformed JSON", "BYTES", "'data' may hold only", "elements but")), \
        message
    check_serving(shared_server, mushroom)


def test_values_at_the_edges_of_each_range_are_accepted(shared_server):
    """The refusals above are not off by one: the extremes of each type are read (and the
    model's answer is then a 200)."""
    for datatype, values in [("INT8", [-128, 127]), ("UINT8", [0, 255]), ("INT16", [-32768, 32767]),
                             ("UINT16", [65535]), ("INT32", [-2 ** 31, 2 ** 31 - 1]), ("UINT32", [2 ** 32 - 1]),
                             ("INT64", [-2 ** 63, 2 ** 63 - 1]), ("UINT64", [2 ** 64 - 1]),
                             ("FP16", [65504, -65504]), ("FP32", [3.4028234663852886e38, 1e-46]),
                             ("FP64", [1.7976931348623157e308, 5e-324]), ("BOOL", [True, False])]:
        r = post(shared_server, INFER, raw_data(datatype, values))
        assert r.status_code == 200, (datatype, r.text)


# ---- Structure ----------------------------------------------------------------------------------

STRUCTURE = [
    ("inputs-empty", request().replace(json.dumps([tensor()]), "[]"), "exactly one input tensor"),
    ("inputs-null", '{"inputs": null}', "'inputs' must be an array of objects"),
    ("inputs-object", json.dumps({"inputs": tensor()}), "'inputs' must be an array of objects"),
    ("inputs-string", '{"inputs": "x"}', "'inputs' must be an array of objects"),
    ("inputs-number", '{"inputs": 1}', "'inputs' must be an array of objects"),
    ("inputs-of-numbers", '{"inputs": [1, 2]}', "'inputs' must be an array of objects"),
    ("inputs-of-arrays", '{"inputs": [[]]}', "'inputs' must be an array of objects"),
    ("inputs-twice", '{"inputs": [], "inputs": []}', "duplicate key 'inputs'"),
    ("no-inputs", '{"id": "a"}', "inference request has no 'inputs'"),
    ("duplicate-input-names", request(tensor(), tensor()), "exactly one input tensor, got 2"),
    ("two-inputs", request(tensor(), tensor(name="y")), "exactly one input tensor, got 2"),
    ("missing-name", request(tensor(name=OMIT)), "missing 'name'"),
    ("missing-datatype", request(tensor(datatype=OMIT)), "missing 'datatype'"),
    ("missing-shape", request(tensor(shape=OMIT)), "missing 'shape'"),
    ("missing-data", request(tensor(data=OMIT)), "missing 'data'"),
    ("name-number", request(tensor(name=1)), "'name' must be a string"),
    ("name-null", request(tensor(name=None)), "'name' must be a string"),
    ("datatype-lower-case", request(tensor(datatype="fp32")), "unknown datatype 'fp32'"),
    ("datatype-empty", request(tensor(datatype="")), "unknown datatype ''"),
    ("datatype-long", request(tensor(datatype="F" * 100_000)), "unknown datatype"),
    ("datatype-number", request(tensor(datatype=32)), "'datatype' must be a string"),
    ("data-object", request(tensor(data={"a": 1})), "'data' must be an array"),
    ("data-string", request(tensor(data="0,0")), "'data' must be an array"),
    ("data-null", request(tensor(data=None)), "'data' must be an array"),
    ("data-with-object", request(tensor(data=[{}] + [0] * 125)), "'data' may hold only scalars and arrays"),
    ("duplicate-shape", '{"inputs":[{"name":"x","shape":[1,126],"shape":[1,126],"datatype":"FP32","data":[]}]}',
     "duplicate key 'shape'"),
    ("duplicate-data", '{"inputs":[{"name":"x","shape":[1,1],"datatype":"FP32","data":[1],"data":[1]}]}',
     "duplicate key 'data'"),
    ("duplicate-datatype", '{"inputs":[{"name":"x","shape":[1,1],"datatype":"FP32","datatype":"FP32","data":[1]}]}',
     "duplicate key 'datatype'"),
    ("duplicate-name", '{"inputs":[{"name":"x","name":"y","shape":[1,1],"datatype":"FP32","data":[1]}]}',
     "duplicate key 'name'"),
    ("duplicate-id", request(tensor()).replace('{"inputs"', '{"id":"a","id":"b","inputs"'), "duplicate key 'id'"),
    ("id-number", request(tensor(), id=1), "'id' must be a string"),
    ("id-object", request(tensor(), id={}), "'id' must be a string"),
    ("parameters-array", request(tensor(), parameters=[]), "'parameters' must be an object"),
    ("outputs-object", request(tensor(), outputs={"name": "predict"}), "'outputs' must be an array of objects"),
    ("outputs-strings", request(tensor(), outputs=["predict"]), "'outputs' must be an array of objects"),
    ("output-without-name", request(tensor(), outputs=[{}]), "has no 'name'"),
    ("output-name-number", request(tensor(), outputs=[{"name": 1}]), "must be a string"),
    ("unknown-output", request(tensor(), outputs=[{"name": "nope"}]), "nope"),
    ("unknown-output-long", request(tensor(), outputs=[{"name": "n" * 100_000}]), None),
    ("wrong-features-125", request(tensor(shape=[1, 125], data=[0.0] * 125)), "126"),
    ("wrong-features-127", request(tensor(shape=[1, 127], data=[0.0] * 127)), "126"),
    ("wrong-features-1d", request(tensor(shape=[125], data=[0.0] * 125)), "126"),
    ("wrong-features-3d", request(tensor(shape=[1, 1, 126])), None),
    ("bytes-input", request(tensor(datatype="BYTES", data=["a"] * 126)), None),
    ("root-array", "[]", "must be a JSON object"),
    ("root-string", '"inputs"', "must be a JSON object"),
    ("root-number", "1", "must be a JSON object"),
    ("root-null", "null", "must be a JSON object"),
    ("root-true", "true", "must be a JSON object"),
    ("two-roots", request() + request(), "malformed JSON"),
    ("trailing-garbage", request() + "x", "malformed JSON"),
    ("truncated", request()[:-3], "malformed JSON"),
    ("trailing-comma", request().replace("]}]}", "],}]}"), "malformed JSON"),
    ("single-quotes", request().replace('"', "'"), "malformed JSON"),
    ("comments", "/* c */" + request(), "malformed JSON"),
    ("nul-after-root", request() + "\x00", "unexpected NUL byte"),
    ("nul-inside", request().replace('"x"', '"x"\x00'), "malformed JSON"),
    ("bom", "\ufeff" + request(), "malformed JSON"),
    ("NaN-literal-shape", request(tensor(shape=[1, 126])).replace("[1, 126]", "[NaN, 126]"), "shape"),
]


@pytest.mark.parametrize("body,contains", [pytest.param(b, c, id=n) for n, b, c in STRUCTURE])
def test_malformed_requests(shared_server, mushroom, body, contains):
    r = post(shared_server, INFER, body)
    check_error(r, 400, contains=contains)
    check_serving(shared_server, mushroom)


def test_nan_and_infinity_are_missing_or_values_for_floats(shared_server):
    """NaN/Infinity literals (and null) are accepted in float tensors: XGBoost reads NaN as missing."""
    body = raw_data("FP32", [Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), None])
    r = post(shared_server, INFER, body)
    assert r.status_code == 200, r.text


# ---- Strings: invalid UTF-8, NULs, escapes, huge ids ------------------------------------------

BAD_STRINGS = [b"\xff", b"\xc0\xae", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"a\xe2\x82", b"\xfe\xff"]


@pytest.mark.parametrize("where", ["id", "name", "datatype", "output", "key", "skipped"])
@pytest.mark.parametrize("bad", BAD_STRINGS, ids=[b.hex() for b in BAD_STRINGS])
def test_invalid_utf8_is_refused(shared_server, mushroom, where, bad):
    body = request(tensor(), id="ID", outputs=[{"name": "OUT"}]).encode()
    body = {"id": body.replace(b'"ID"', b'"' + bad + b'"'),
            "name": body.replace(b'"name": "x"', b'"name": "' + bad + b'"'),
            "datatype": body.replace(b'"FP32"', b'"' + bad + b'"'),
            "output": body.replace(b'"OUT"', b'"' + bad + b'"'),
            "key": body.replace(b'"id"', b'"' + bad + b'"'),
            "skipped": body.replace(b'{"inputs"', b'{"zz": ["' + bad + b'"], "inputs"')}[where]
    r = post(shared_server, INFER, body)
    check_error(r, 400, contains="malformed JSON")
    check_serving(shared_server, mushroom)


@pytest.mark.parametrize("value", ["a\\u0000b", "\\u0000", "\\ud800", "\\udfff", "a\\nb\\r\\n2026-01-01 INFO forged",
                                   "\\u001b[31mred", "\"quoted\\\"\"", "\\\\..\\\\..\\\\etc"])
def test_nuls_escapes_and_lone_surrogates_in_ids_and_names(shared_server, mushroom, value):
    """Escaped NULs, control characters and lone surrogates in the id: either refused 400, or
    answered with valid UTF-8 JSON that echoes the id (a lone surrogate, which no UTF-8 text can
    hold, may come back replaced)."""
    body = request(tensor()).replace('{"inputs"', '{"id": "%s", "inputs"' % value)
    r = post(shared_server, INFER, body)
    if r.status_code == 200:
        answer = json.loads(r.content.decode("utf-8"))  # strict: invalid UTF-8 raises
        if "\\ud" not in value:
            assert answer["id"] == json.loads('"%s"' % value)
    else:
        check_error(r, 400)
    # The same in a tensor name: it is echoed in the error about the output only as escaped JSON.
    body = request(tensor()).replace('"name": "x"', '"name": "%s"' % value)
    r = post(shared_server, INFER, body)
    assert r.status_code in (200, 400), r.text
    r.json()
    check_serving(shared_server, mushroom)


@pytest.mark.parametrize("size", [100_000, 10_000_000])
def test_huge_ids_and_names(shared_server, mushroom, size):
    r = post(shared_server, INFER, request(tensor(), id="i" * size))
    assert r.status_code == 200 and len(r.json()["id"]) == size  # an id is echoed whole
    r = post(shared_server, INFER, request(tensor(), outputs=[{"name": "o" * size}]))
    check_error(r, 400, contains="has no output")
    check_serving(shared_server, mushroom)


# ---- The repository API -------------------------------------------------------------------------

REPOSITORY = [
    ("/v2/repository/index", "[]", "an index request must be a JSON object"),
    ("/v2/repository/index", '"x"', "an index request must be a JSON object"),
    ("/v2/repository/index", "1", "an index request must be a JSON object"),
    ("/v2/repository/index", '{"ready": 1}', "'ready' must be true or false"),
    ("/v2/repository/index", '{"ready": "true"}', "'ready' must be true or false"),
    ("/v2/repository/index", '{"ready": [true]}', "'ready' must be true or false"),
    ("/v2/repository/index", '{"ready": true} x', "malformed JSON"),
    ("/v2/repository/index", '{"ready": NaN}', "malformed JSON"),
    ("/v2/repository/index", '{"ready": 1e99999}', None),
    ("/v2/repository/index", '{"a": 0e-32, "ready": 5}', "'ready' must be true or false"),
    ("/v2/repository/index", b'{"\xff": 1}', "malformed JSON"),
    ("/v2/repository/index", '{"ready": true}\x00', "unexpected NUL byte"),
    ("/v2/repository/models/mnist-svm/load", "[]", "a repository request must be a JSON object"),
    ("/v2/repository/models/mnist-svm/load", '{"parameters": []}', "'parameters' must be an object"),
    ("/v2/repository/models/mnist-svm/load", '{"parameters": {"file:../../etc/passwd": "AA=="}}',
     "is not supported"),
    ("/v2/repository/models/mnist-svm/load", '{"parameters": {"config": "{\\"backend\\": \\"python\\"}"}}',
     "'config' is not supported"),
    ("/v2/repository/models/mnist-svm/load", '{"parameters": {"file:" : 1}}', "is not supported"),
    ("/v2/repository/models/mnist-svm/load", '{"parameters":', "malformed JSON"),
    ("/v2/repository/models/mnist-svm/load", b'{"parameters": {"\xc0\xae": 1}}', "malformed JSON"),
    ("/v2/repository/models/mnist-svm/unload", "[1]", "a repository request must be a JSON object"),
    ("/v2/repository/models/mnist-svm/unload", '{"parameters": "x"}', "'parameters' must be an object"),
    ("/v2/repository/models/mnist-svm/unload", "{" * 100_000, "malformed JSON"),
    ("/v2/repository/models/mnist-svm/unload", '{"a":' * 100_000, "nested deeper than 64 levels"),
    ("/v2/repository/index", "[" * 1_000_000, "nested deeper than 64 levels"),
]


@pytest.mark.parametrize("path,body,contains", REPOSITORY, ids=[f"{p.rsplit('/', 1)[1]}-{b[:30]!r}"
                                                                for p, b, _ in REPOSITORY])
def test_repository_api_bodies(shared_server, mushroom, path, body, contains):
    r = post(shared_server, path, body)
    check_error(r, 400, contains=contains)
    entries = post(shared_server, "/v2/repository/index", "{}").json()
    assert [(e["name"], e["state"]) for e in entries] == [("mnist-svm", "READY"), ("mushroom-xgboost", "READY")]
    check_serving(shared_server, mushroom)
