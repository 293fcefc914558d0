import numpy as np
import pytest

from relucert._validation import check_lam, check_X, check_Xy
from relucert.data import load_data


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(3), "2-D.*Reshape your data"),
        (np.zeros((0, 2)), "at least one sample"),
        (np.zeros((3, 0)), "d >= 1"),
        (np.array([[0.0, np.nan]]), "finite"),
        (np.array([[np.inf, 0.0]]), "finite"),
    ],
)
def test_bad_X(X, match):
    with pytest.raises(ValueError, match=match):
        check_X(X)


def test_messages_carry_scikit_learn_phrases():
    # relucert's wording plus the phrases scikit-learn's estimator checks look for
    with pytest.raises(ValueError, match=r"X must be real: Complex data not supported"):
        check_X(np.array([[1 + 2j, 0.0]]))
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        check_X(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"Input X contains infinity"):
        check_X(np.array([[-np.inf, 0.0]]))
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(12, 0\)\) while a minimum of 1 is required"):
        check_X(np.zeros((12, 0)))


def test_object_arrays_of_numbers_are_data():
    X = np.array([[1, 2.5], [3, 4]], dtype=object)
    np.testing.assert_array_equal(check_X(X), [[1.0, 2.5], [3.0, 4.0]])
    bad = np.array([[{"foo": "bar"}, 1.0]], dtype=object)
    with pytest.raises(TypeError, match=r"X must be numeric.*argument must be a string.* number"):
        check_X(bad)


def test_integers_beyond_float_precision_are_refused():
    # data are exact: 2^53 + 1 has no float64
    with pytest.raises(ValueError, match="beyond 2\\^53"):
        check_X(np.array([[2 ** 53 + 1, 0]], dtype=np.int64))
    with pytest.raises(ValueError, match="beyond 2\\^53"):
        check_X(np.array([[2 ** 60, 0]], dtype=object))
    assert check_X(np.array([[2 ** 53, 0]], dtype=np.int64))[0, 0] == 2.0 ** 53


def test_non_numeric_X():
    with pytest.raises(TypeError, match="X must be numeric"):
        check_X(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="X"):
        check_X("abc")


def test_bad_y():
    X = np.zeros((3, 1))
    with pytest.raises(ValueError, match="same number of samples"):
        check_Xy(X, np.zeros(4))
    with pytest.raises(ValueError, match="y must be 1-D"):
        check_Xy(X, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="y must be finite"):
        check_Xy(X, np.array([0.0, np.nan, 1.0]))


@pytest.mark.parametrize("lam", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_lam(lam):
    with pytest.raises(ValueError, match="lam must be a finite float > 0"):
        check_lam(lam)


def test_lam_zero_allowed_for_interpolation():
    assert check_lam(0.0, allow_zero=True) == 0.0
    with pytest.raises(TypeError, match="lam"):
        check_lam("1")


def test_load_csv_with_and_without_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("x1,x2,y\n0,1,2\n3,4,5\n")
    data = load_data(p)
    assert data["X"].shape == (2, 2) and data["y"].tolist() == [2.0, 5.0]
    p.write_text("0,1,2\n3,4,5\n")
    assert load_data(p)["X"].tolist() == [[0.0, 1.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("a,b\n1,x\n", "non-numeric"),
        ("1,2\n3\n", "columns"),
        ("1\n2\n", "at least 2 columns"),
        ("1,nan\n2,3\n", "y must be finite"),
    ],
)
def test_bad_csv(tmp_path, text, match):
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_data(p)


def test_bad_npz(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, X=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="missing \\['y'\\]"):
        load_data(p)
    p2 = tmp_path / "broken.npz"
    p2.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable"):
        load_data(p2)
    with pytest.raises(ValueError, match="does not exist"):
        load_data(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="extension"):
        (tmp_path / "d.txt").write_text("1,2")
        load_data(tmp_path / "d.txt")
