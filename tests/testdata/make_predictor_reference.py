# Generates tests/testdata/predictor_reference.json: reference values for the predictor library
# computed with scikit-learn and SciPy, the libraries the SparseNAS paper's predictors come from
# (Table 3: GBDT = sklearn.ensemble.GradientBoostingRegressor).
#
# How it was run (Debian 12: apt-get install python3-sklearn, which brings SciPy and NumPy):
#   /usr/bin/python3 tests/testdata/make_predictor_reference.py tests/testdata/predictor_reference.json
#
# Contents:
#   archs_train / acc_train   800 random canonical ofa-mbv3 architectures (d in {2,3,4},
#                             k in {3,5,7}, e in {3,4,6}; inactive slots hold k=3, e=3, as
#                             SearchSpace::canonical) and a synthetic accuracy: 0.64 + 0.002 *
#                             (sum of the expand ratios of the active blocks) + N(0, 0.002).
#   archs_test / acc_test     200 more, the same way.
#   encoding_ones             for the first 20 training archs, the indices of the 1s of OFA's
#                             library encoding (arch_encoder.py order without the resolution
#                             one-hot: 20 kernel one-hots, then 20 expand one-hots; inactive
#                             slots all zero), written independently of the C++ code.
#   gbdt_test_predictions     GradientBoostingRegressor(n_estimators=100, learning_rate=0.01,
#                             random_state=0), otherwise sklearn defaults, fit on the training
#                             encodings, predicting the test encodings. sklearn breaks ties between
#                             equally good splits by a random feature order (random_state), and
#                             XGBoost by feature index, so equal predictions are only expected
#                             where no such ties occur: the script checks that random_state 0..4
#                             give identical predictions on this data (with 300 training rows
#                             they differ by up to 1e-3; with 800 they do not).
#   metrics                   x and y with many ties; scipy.stats.kendalltau (tau-b) and
#                             spearmanr of them.
import json
import sys

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.ensemble import GradientBoostingRegressor

KS, ES, DS = [3, 5, 7], [3, 4, 6], [2, 3, 4]
STAGES, SLOTS = 5, 4


def random_arch(rng):
    d = [int(rng.choice(DS)) for _ in range(STAGES)]
    ks, e = [], []
    for s in range(STAGES):
        for i in range(SLOTS):
            active = i < d[s]
            ks.append(int(rng.choice(KS)) if active else 3)
            e.append(int(rng.choice(ES)) if active else 3)
    return {"ks": ks, "e": e, "d": d}


def encode(arch):
    x = np.zeros(2 * 3 * STAGES * SLOTS)
    for slot in range(STAGES * SLOTS):
        if slot % SLOTS < arch["d"][slot // SLOTS]:
            x[3 * slot + KS.index(arch["ks"][slot])] = 1
            x[60 + 3 * slot + ES.index(arch["e"][slot])] = 1
    return x


def accuracy(arch, rng):
    total = sum(arch["e"][slot] for slot in range(20) if slot % SLOTS < arch["d"][slot // SLOTS])
    return 0.64 + 0.002 * total + float(rng.normal(0.0, 0.002))


def main(out_path):
    rng = np.random.default_rng(20261127)
    seen, archs = set(), []
    while len(archs) < 1000:
        a = random_arch(rng)
        key = json.dumps(a, sort_keys=True)
        if key not in seen:
            seen.add(key)
            archs.append(a)
    acc = [accuracy(a, rng) for a in archs]
    train, test = archs[:800], archs[800:]
    x_train = np.array([encode(a) for a in train])
    x_test = np.array([encode(a) for a in test])
    predictions = [
        GradientBoostingRegressor(n_estimators=100, learning_rate=0.01, random_state=seed)
        .fit(x_train, np.array(acc[:800]))
        .predict(x_test)
        for seed in range(5)
    ]
    spread = max(float(np.max(np.abs(p - predictions[0]))) for p in predictions)
    assert spread == 0.0, f"split ties: predictions depend on random_state (spread {spread})"

    mx = rng.integers(0, 8, size=60).astype(float)
    my = (mx + rng.integers(0, 5, size=60)).astype(float) % 9
    ref = {
        "generator": "tests/testdata/make_predictor_reference.py",
        "versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__,
                     "numpy": np.__version__},
        "archs_train": train,
        "acc_train": acc[:800],
        "archs_test": test,
        "acc_test": acc[800:],
        "encoding_ones": [[int(i) for i in np.flatnonzero(encode(a))] for a in train[:20]],
        "gbdt_test_predictions": [float(v) for v in predictions[0]],
        "metrics": {
            "x": mx.tolist(),
            "y": my.tolist(),
            "kendall_tau_b": float(scipy.stats.kendalltau(mx, my)[0]),
            "spearman_rho": float(scipy.stats.spearmanr(mx, my)[0]),
        },
    }
    with open(out_path, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
