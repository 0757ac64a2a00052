"""The Dask settings the README tells a course to give its cluster are kit.grade.cluster.SETTINGS,
spelt as the environment variables Dask reads."""
import re

import dask.config

from kit.grade import cluster
from kit.paths import ROOT


def environment_variables() -> dict[str, str]:
    """SETTINGS as Dask's environment variables (DASK_, then the keys with __ between levels)."""
    return {"DASK_" + key.replace(".", "__").replace("-", "_").upper(): str(value)
            for key, value in cluster.SETTINGS.items()}


def test_dask_reads_the_environment_variables_as_the_settings():
    read = dask.config.collect_env(environment_variables())
    for key, value in cluster.SETTINGS.items():
        assert dask.config.get(key, config=read) == value, key


def test_the_readme_sets_them_for_the_machines_and_for_slurm():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    exports = " ".join(re.findall(r"export ([^\n\"#]+)", readme))
    for name, value in environment_variables().items():
        assert exports.count(f"{name}={value}") == 2, \
            f"{name}={value} is not exported both for `dask worker` and in the SLURM example"
