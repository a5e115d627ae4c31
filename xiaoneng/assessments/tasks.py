"""Background tasks of the assessments app (django-tasks): computing a scheme's results. The
``worker`` command runs the queue; ``assessment_compute`` runs a computation in the
foreground (benchmarks, operations)."""

from __future__ import annotations

from django_tasks import task


@task()
def compute_assessment(run_id: int) -> dict[str, object]:
    """Compute the results of a queued run; returns its final status and duration."""
    from xiaoneng.assessments.services import compute_run

    run = compute_run(run=run_id)
    return {"run": run.pk, "status": run.status, "seconds": str(run.seconds or "")}
