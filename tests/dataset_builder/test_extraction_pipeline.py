"""Step timing (wall and CPU) and the one-thread context of the extraction job."""

import subprocess
import sys

from nlc.dataset_builder.extraction.pipeline import StepClock


def test_step_clock_adds_wall_and_cpu_seconds_per_step():
    wall, cpu = {}, {}
    clock = StepClock(wall, cpu)
    sum(i * i for i in range(300_000))  # some CPU work
    clock.lap("work")
    clock.lap("nothing")
    sum(i * i for i in range(300_000))
    clock.lap("work")
    assert list(wall) == list(cpu) == ["work", "nothing"]
    assert wall["work"] > 0 and cpu["work"] > 0
    assert cpu["nothing"] < cpu["work"]


def test_single_threaded_also_limits_the_libraries_extraction_loads_later():
    """threadpoolctl alone misses BLAS libraries loaded after the context is entered."""
    code = (
        "from nlc.dataset_builder.extraction.pipeline import single_threaded\n"
        "from threadpoolctl import threadpool_info\n"
        "with single_threaded():\n"
        "    import sklearn.decomposition, scipy.linalg\n"
        "    print(max(i['num_threads'] for i in threadpool_info()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "4", "OPENBLAS_NUM_THREADS": "4"})
    assert out.stdout.strip() == "1"
