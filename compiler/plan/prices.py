"""The offline, dated price table: on-demand list prices per cloud, and a factor per region.

Prices are published on-demand list prices in USD of the reference regions (AWS us-east-1,
GCP us-central1), as read from the providers' pricing pages (EC2, ElastiCache, DynamoDB;
Compute Engine, Memorystore, Bigtable). They are estimates as of 2026-11: the planner never
calls a pricing API, so an estimate is reproducible and works offline, and committed-use or
spot discounts would lower it. Other regions are priced by a stated factor: the ratio of a
general-purpose node's on-demand price there to the reference region's, which also holds,
to within a few percent, for the managed services and network charges of that region.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_TABLE_DATE = "2026-11"
PRICE_SOURCE = (
    "published on-demand list prices (aws.amazon.com/ec2/pricing, /elasticache/pricing, "
    "/dynamodb/pricing; cloud.google.com/compute/all-pricing, /memorystore/pricing, "
    "/bigtable/pricing), estimates as of 2026-11"
)
REFERENCE_REGION = {"aws": "us-east-1", "gcp": "us-central1"}

#: Price of a region over its cloud's reference region (general-purpose node, on demand).
REGION_FACTOR: dict[tuple[str, str], float] = {
    ("aws", "us-east-1"): 1.0,
    ("aws", "us-east-2"): 1.0,
    ("aws", "us-west-2"): 1.0,
    ("aws", "eu-west-1"): 1.11,
    ("aws", "eu-central-1"): 1.14,
    ("aws", "ap-southeast-1"): 1.25,
    ("gcp", "us-central1"): 1.0,
    ("gcp", "us-east1"): 1.0,
    ("gcp", "europe-west1"): 1.1,
    ("gcp", "europe-west4"): 1.1,
    ("gcp", "asia-southeast1"): 1.23,
}

#: On-demand $/hour per node type in the reference region (GPU node types include GPUs).
NODE_HOURLY: dict[str, dict[str, float]] = {
    "aws": {
        "m7i.xlarge": 0.2016,
        "c7i.4xlarge": 0.714,
        "m7i.4xlarge": 0.8064,
        "r7i.4xlarge": 1.0584,
        "c7i.8xlarge": 1.428,
        "m7i.8xlarge": 1.6128,
        "r7i.8xlarge": 2.1168,
        "m7i.16xlarge": 3.2256,
        "r7i.16xlarge": 4.2336,
        "g4dn.xlarge": 0.526,
        "g4dn.2xlarge": 0.752,
        "g4dn.12xlarge": 3.912,
        "g4dn.metal": 7.824,
        "g6.xlarge": 0.8048,
        "g6.2xlarge": 0.9776,
        "g6.12xlarge": 4.6016,
        "g6.48xlarge": 13.3504,
        "g5.xlarge": 1.006,
        "g5.2xlarge": 1.212,
        "g5.12xlarge": 5.672,
        "g5.48xlarge": 16.288,
        "p4d.24xlarge": 21.9576,
        "p5.4xlarge": 6.88,
        "p5.48xlarge": 55.04,
    },
    "gcp": {
        "n2-standard-4": 0.1942,
        "n2-highcpu-16": 0.5736,
        "n2-standard-16": 0.7769,
        "n2-highmem-16": 1.0481,
        "n2-highcpu-32": 1.1472,
        "n2-standard-32": 1.5539,
        "n2-highmem-32": 2.0962,
        "n2-standard-64": 3.1078,
        "n2-highmem-64": 4.1924,
        "n1-standard-8": 0.73,
        "n1-standard-16": 1.46,
        "n1-standard-32": 2.92,
        "g2-standard-8": 0.8536,
        "g2-standard-24": 2.0025,
        "g2-standard-48": 4.005,
        "g2-standard-96": 8.01,
        "a2-highgpu-1g": 3.6731,
        "a2-highgpu-2g": 7.3462,
        "a2-highgpu-4g": 14.6924,
        "a2-highgpu-8g": 29.3848,
        "a3-highgpu-1g": 11.0613,
        "a3-highgpu-2g": 22.1226,
        "a3-highgpu-4g": 44.2452,
        "a3-highgpu-8g": 88.4904,
    },
}
#: Managed Redis $/node-hour (ElastiCache r7g; Memorystore for Redis Cluster).
REDIS_HOURLY: dict[str, float] = {
    "cache.r7g.large": 0.219,
    "cache.r7g.xlarge": 0.437,
    "cache.r7g.2xlarge": 0.873,
    "cache.r7g.4xlarge": 1.747,
    "redis-shared-core-nano": 0.0319,
    "redis-standard-small": 0.1406,
    "redis-highmem-medium": 0.2524,
    "redis-highmem-xlarge": 1.1264,
}
BIGTABLE_NODE_HOURLY = 0.65
"""Bigtable: $ per node-hour (compute), per cluster."""
BIGTABLE_SSD_GB_MONTH = 0.17
DYNAMODB_ON_DEMAND_READ_PER_MILLION = 0.125
"""DynamoDB on-demand: $ per million read request units (one = an eventually consistent
pair of reads of up to 4 KB)."""
DYNAMODB_ON_DEMAND_WRITE_PER_MILLION = 0.625
DYNAMODB_RCU_HOURLY = 0.00013
DYNAMODB_WCU_HOURLY = 0.00065
DYNAMODB_GB_MONTH = 0.25

CONTROL_PLANE_HOURLY = {"aws": 0.10, "gcp": 0.10}
"""Managed Kubernetes control plane: the same price in every region."""
#: Load balancer: $/hour and $/GB processed (ALB LCU, GCP forwarding rule + data).
LOAD_BALANCER = {"aws": (0.0225, 0.008), "gcp": (0.025, 0.008)}
#: NAT: $/hour per zone and $/GB processed.
NAT = {"aws": (0.045, 0.045), "gcp": (0.044, 0.045)}
OBJECT_STORAGE_GB_MONTH = {"aws": 0.023, "gcp": 0.020}


@dataclass(frozen=True)
class RegionPrices:
    """Which prices a plan uses: the region, its factor, and whether the table knows it."""

    cloud: str
    region: str
    factor: float
    known: bool

    @property
    def reference(self) -> str:
        """The region whose list prices the table holds."""
        return REFERENCE_REGION[self.cloud]


def region_prices(cloud: str, region: str | None) -> RegionPrices:
    """The factor of ``region``; a region not in the table is priced as the reference one."""
    name = region or REFERENCE_REGION[cloud]
    factor = REGION_FACTOR.get((cloud, name))
    return RegionPrices(cloud=cloud, region=name, factor=factor or 1.0, known=factor is not None)


def node_hourly(cloud: str, instance: str) -> float:
    """Reference-region $/hour of a node type."""
    return NODE_HOURLY[cloud][instance]
