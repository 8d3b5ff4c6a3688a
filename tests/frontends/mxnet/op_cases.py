"""Per-op MXNet test cases (placeholder, filled in below)."""


def build_op_cases(out, save_case, init_args, rng):
    pass
