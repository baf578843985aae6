"""The bare timm loop that benchmarks/train_overhead.py and quality.py compare `vp train` with.

    python bare_timm_loop.py DATA MODEL EPOCHS BATCH SIZE [SEED]

Adam at 1e-3 with a cosine schedule, random resized crops and flips: the plain recipe a timm
user would write. Prints one JSON line per epoch: epoch, epoch_seconds, val_acc."""

import json
import sys
import time

import timm
import torch
from timm.data import create_transform
from timm.scheduler import create_scheduler_v2
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder

data, model_name = sys.argv[1], sys.argv[2]
epochs, batch, size = (int(a) for a in sys.argv[3:6])
torch.manual_seed(int(sys.argv[6]) if len(sys.argv) > 6 else 0)
mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
train_tf = create_transform(
    size, is_training=True, scale=(0.5, 1.0), hflip=0.5, color_jitter=None, mean=mean, std=std
)
val_tf = create_transform(size, is_training=False, crop_pct=1.0, mean=mean, std=std)
train = ImageFolder(f"{data}/train", transform=train_tf)
val = DataLoader(ImageFolder(f"{data}/val", transform=val_tf), batch_size=batch)
model = timm.create_model(model_name, num_classes=len(train.classes))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched, _ = create_scheduler_v2(opt, sched="cosine", num_epochs=epochs, min_lr=1e-6)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(1, epochs + 1):
    t0 = time.perf_counter()
    model.train()
    loader = DataLoader(train, batch_size=batch, shuffle=True, drop_last=True)
    for x, y in loader:
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    correct = total = 0
    with torch.inference_mode():
        for x, y in val:
            correct += int((model(x).argmax(dim=1) == y).sum())
            total += len(y)
    sched.step(epoch)
    seconds = time.perf_counter() - t0
    row = {"epoch": epoch, "epoch_seconds": seconds, "val_acc": correct / total}
    print(json.dumps(row), flush=True)
