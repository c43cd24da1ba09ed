"""Celery app for scripts/bench/ensemble-openmm.ts: the seed's design, a
Celery task that runs one OpenMM trajectory segment (System/Integrator/State
XML in the task arguments, frames in the result), with Redis as broker and
result backend. The broker URL comes from MDSWARM_BENCH_REDIS_URL."""
import os
import time

from celery import Celery

REDIS_URL = os.environ.get("MDSWARM_BENCH_REDIS_URL", "redis://127.0.0.1:6379")

app = Celery("openmm_tasks", broker=f"{REDIS_URL}/0", backend=f"{REDIS_URL}/1")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=1,
    task_acks_late=True,
)


def run_segment(system_xml, integrator_xml, state_xml, steps, report_every, seed, platform):
    """Context creation, `steps` steps, a frame (positions, energies) every `report_every` steps."""
    import openmm as mm
    import openmm.unit as unit

    started = time.perf_counter()
    system = mm.XmlSerializer.deserialize(system_xml)
    integrator = mm.XmlSerializer.deserialize(integrator_xml)
    integrator.setRandomNumberSeed(seed)
    context = mm.Context(system, integrator, mm.Platform.getPlatformByName(platform))
    context.setState(mm.XmlSerializer.deserialize(state_xml))
    frames = []
    done = 0
    while done < steps:
        block = min(report_every, steps - done)
        integrator.step(block)
        done += block
        state = context.getState(getPositions=True, getEnergy=True)
        frames.append({
            "step": done,
            "potentialEnergy": state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole),
            "positions": state.getPositions(asNumpy=True).value_in_unit(unit.nanometer).astype(float).ravel().tolist(),
        })
    final = context.getState(getPositions=True, getVelocities=True)
    checkpoint = mm.XmlSerializer.serialize(final)
    return {"frames": frames, "checkpoint": checkpoint, "seconds": time.perf_counter() - started}


@app.task(name="bench.openmm_segment")
def openmm_segment(system_xml, integrator_xml, state_xml, steps, report_every, seed, platform):
    result = run_segment(system_xml, integrator_xml, state_xml, steps, report_every, seed, platform)
    return {"frames": len(result["frames"]), "positions": [f["positions"] for f in result["frames"]],
            "checkpoint": result["checkpoint"], "seconds": result["seconds"]}
