"""What the data set store returns: reports, samples, versions (pydantic, for the API too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.datastore.layout import SourceFormat

Layout = Literal["imagefolder", "yolo"]


class ClassStats(BaseModel):
    """One class: how many images hold it and how many objects of it there are, per split
    (for classification the two are equal)."""

    id: int
    name: str
    images: dict[str, int]
    instances: dict[str, int]


class SizeCount(BaseModel):
    width: int
    height: int
    count: int


class ImageSizes(BaseModel):
    """The spread of the images' sizes in pixels, and the most common sizes."""

    min_width: int
    min_height: int
    max_width: int
    max_height: int
    mean_width: float
    mean_height: float
    common: list[SizeCount]


class Problem(BaseModel):
    """Something wrong with one file that was left out of the version instead of failing it."""

    file: str
    problem: str
    action: Literal["skipped"] = "skipped"


class DatasetReport(BaseModel):
    """What a version holds, as found when it was checked with training's own loaders."""

    format: SourceFormat = Field(description="The uploaded format (COCO is stored as YOLO).")
    layout: Layout = Field(description="How the stored version is laid out.")
    task_type: str
    class_names: list[str]
    classes: list[ClassStats]
    splits: dict[str, int] = Field(description="Images per split.")
    auto_split: bool = Field(
        default=False, description="No val/ folder: training holds out 20% of each class."
    )
    image_sizes: ImageSizes | None
    images_without_labels: int = 0
    files: int = 0
    bytes: int = 0
    ignored_files: int = Field(default=0, description="Hidden files and archiver junk dropped.")
    problems: list[Problem] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class SampleObject(BaseModel):
    """One labelled object; coordinates are fractions of the image's width and height."""

    class_id: int
    class_name: str = ""
    bbox: list[float] = Field(description="[x1, y1, x2, y2], each in [0, 1].")
    polygon: list[list[float]] | None = None
    keypoints: list[list[float]] | None = None


class Sample(BaseModel):
    """One image of a version with its labels."""

    index: int
    split: str
    file: str
    width: int
    height: int
    class_ids: list[int]
    class_names: list[str] = Field(default_factory=list)
    objects: list[SampleObject] = Field(default_factory=list)
    thumbnail_url: str = ""


class SamplePage(BaseModel):
    items: list[Sample]
    total: int
    offset: int
    limit: int


class VersionOut(BaseModel):
    """One version of a data set; `report` is left out of lists."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    version: str
    ref: str = Field(description="name@version: what jobs take as `dataset`.")
    digest: str
    format: str
    task_type: str
    description: str | None
    num_images: int
    num_classes: int
    size_bytes: int
    uri: str = Field(description="Where the version's files lie (a folder or an s3:// prefix).")
    created_at: datetime
    report: DatasetReport | None = None


class UploadOut(VersionOut):
    """The version an upload made, or the existing one with the same content."""

    created: bool = Field(description="False when this content was already a version.")


class DatasetSummary(BaseModel):
    """A data set name with its newest version."""

    name: str
    versions: int
    latest: VersionOut


class DatasetOut(BaseModel):
    name: str
    versions: list[VersionOut] = Field(description="Newest first.")


class DatasetList(BaseModel):
    items: list[DatasetSummary]
