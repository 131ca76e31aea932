# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Computer vision: GPU serving with adaptive batching, and a nightly batch job.

Expected numbers are worked out by hand in the comments from the spec and the calibration
table, never by calling the planner's own formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import VISION, codes, plan, result


def test_gpu_calibration_with_int8() -> None:
    # pytorch image medium on one T4: 10 ms, 500 images/s; int8 on GPU: throughput × 2.5,
    # latency ÷ 1.8 → 1250 images/s, 5.556 ms; pruning gives no speed-up
    model = plan(VISION).model("image_classifier")
    calibration = model.calibration
    assert calibration.device == "gpu"
    assert calibration.per_replica_rps == 1250
    assert calibration.service_time_ms == pytest.approx(5.5556, abs=1e-4)
    assert calibration.table_key == "gpu/pytorch/image/medium"


def test_gpu_replica_and_capacity() -> None:
    # one worker per GPU: server overhead 1 ms at 1000 rps; S = 1 + 5.556 = 6.556 ms
    # rps = 1 / (1/1000 + 1/1250) = 555.6; peak = 1,000,000 / 86,400 × 4 = 46.30 rps
    # N = ceil(46.30 / (555.6 × 0.7)) = ceil(0.119) = 1; 2 zones → 1 each → 2 replicas
    serving = plan(VISION).serving
    cap = serving.capacity
    assert cap is not None
    assert cap.per_replica_rps == pytest.approx(555.556, abs=1e-3)
    assert cap.service_time_ms == pytest.approx(6.5556, abs=1e-4)
    assert (cap.replicas_needed, cap.replicas) == (1, 2)
    assert (serving.replica.gpu, serving.replica.gpu_class, serving.replica.workers) == (1, "t4", 1)


def test_gpu_never_scales_to_zero() -> None:
    # HPA floor is one replica per zone (2), ceiling 2 × 1.25 → 4; GPUs scale down after 10 min
    serving = plan(VISION).serving
    assert serving.hpa is not None
    assert serving.hpa.min_replicas == 2
    assert serving.hpa.max_replicas == 4
    assert serving.hpa.behavior.scale_down.stabilization_window_seconds == 600
    pools = {p.name: p for p in plan(VISION).compute.pools}
    gpu = pools["gpu-serving"]
    assert (gpu.instance_type, gpu.min_nodes, gpu.max_nodes) == ("g4dn.xlarge", 2, 4)
    assert gpu.taints == ("nvidia.com/gpu=present:NoSchedule",)
    assert gpu.capacity_type == "on_demand"
    assert pools["gpu-training"].min_nodes == 0  # training may scale to zero


def test_adaptive_batching_from_the_budget() -> None:
    # the server stage (1 ms) queues: window floor(200 − 2.9957 × 1 / 0.3) = 190 ms, not
    # BentoML's 60,000 ms; the batched call: one row 5.556 ms, each further row on the GPU's
    # one worker 1 / 1250 s = 0.8 ms → fits 1 + (95 − 5.556) / 0.8 = 112.8 → 64
    batching = plan(VISION).serving.batching
    assert batching.enabled
    assert batching.max_latency_ms == 190
    assert batching.max_batch_size == 64


def test_batch_job_fits_its_window() -> None:
    # 1,000,000 rows at 1250 rows/s, planned for half of 120 min:
    # ceil(1,000,000 / (1250 × 7200 × 0.5)) = ceil(0.22) = 1 worker sized; a one-GPU worker
    # holds a g4dn.12xlarge of 4 T4s, so the job fills it: 4 workers, 200 s = 3.333 min
    batch = plan(VISION).serving.batch
    assert batch is not None
    assert batch.cron == "0 2 * * *"
    assert batch.workers == 4
    assert batch.expected_minutes == pytest.approx(3.33333, abs=1e-4)
    assert batch.runs_per_month == 30


def test_new_data_trigger_outpaces_the_weekly_schedule() -> None:
    # 50,000 new images at 1,000,000 a day fill in 1.2 h, but a retrain waits for the
    # previous one: 5,000,000 sampled images × 1 feature at 1.5 images/s per vCPU × 40 (one
    # T4) = 60/s → 83,333 s = 23.15 h + 5 min start-up = 23.23 h = 1394 min; checked hourly
    # → every 1440 min → 30 runs a month, still more than weekly (30 / 7 = 4.3)
    training = plan(VISION).training
    assert training.cron == "0 3 * * 0"
    assert training.trigger_check_cron == "0 * * * *"
    assert training.triggers[0].expected_interval_hours == 1.2
    job = training.models[0]
    assert (job.rows_per_shard, job.features, job.gpu) == (5_000_000, 1, 1)
    assert job.hours_per_shard == pytest.approx(23.23, abs=1e-2)
    assert job.runs_per_month == 30
    assert job.fits_window  # 1394 min within the weekly 10,080 min


def test_model_plan_keeps_training_details() -> None:
    model = plan(VISION).model("image_classifier")
    assert model.augmentation == ("flip_horizontal", "random_crop", "color_jitter")
    assert (model.quantization, model.pruning_sparsity) == ("int8", 0.3)
    steps = {s.name: s for s in model.steps}
    assert (steps["train"].cpu, steps["train"].memory_gib, steps["train"].gpu) == (8, 32, 1)
    assert steps["optimize"].gpu == 1  # quantisation runs the network
    assert steps["ingest"].gpu == 0
    assert [(g.metric, g.min) for g in model.gates] == [("accuracy", 0.92), ("macro_f1", 0.88)]
    image = next(f for f in plan(VISION).serving.request_fields if f.name == "image")
    assert (image.type, image.width, image.height, image.channels) == ("image", 224, 224, 3)


def test_budget_and_diagnostics() -> None:
    # 2 × g4dn.xlarge at $0.526/h × 730 h = $767.96
    items = {i.component: i.monthly_usd for i in plan(VISION).cost.items}
    assert items["gpu_serving_nodes"] == pytest.approx(767.96, abs=0.01)
    assert plan(VISION).cost.total_usd_month < 15000
    assert plan(VISION).infrastructure.gpu_instance_type == "g4dn.xlarge"
    assert codes(result(VISION)) == []
