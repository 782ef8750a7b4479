# The pipelines as make rules (included by the Makefile): every step is one
# plain tool call whose output make can see, so `make -j2 e2e e2e-table`
# runs independent steps side by side and a second call skips what finished.
# An output appears only when its step succeeded (a temporary name renamed,
# or a .done marker touched afterwards): a killed step runs again. The data
# (annotations, salient sets, ImageNet weights) are order-only inputs: they
# must exist, but a data tree copied or downloaded again (new times, same
# files) reruns nothing; after changing the data, delete the outputs (or
# use a new E2E folder). A new segmentor checkpoint does remake the proxies,
# and new proxies the trainings on them.
#
#   make -j2 e2e e2e-table                      # PennFudan, rows a-h x 3 seeds
#   make -j2 e2e e2e-table ROWS='a c' SEEDS=0 E2E=work_dirs/pf_ac
#   make -j2 e2e e2e-table SEG_CKPT=work_dirs/pennfudan/iter_2000.pth
#
# Rows (Mask R-CNN trainings on the train split's boxes with the masks of):
#   a  the real masks (the fully supervised reference)
#   b  BoxCaseg + merge + drop at 0.95 (the paper's recipe)
#   c  BoxCaseg
#   d  box fill
#   e  GrabCut
#   g  BoxCaseg, masks scoring below DROP_SCORE ignored in the mask loss
#      (--drop-score-thr; the score: certainty x GrabCut's agreement x
#      (1 - the box's largest IoU with another box) x (the share of the box
#      the mask fills) ^ 0.25)
# and row f: mmdet's BoxInst on the train split's boxes alone (no masks),
# with the same backbone, input and augmentation, twice the iterations;
# row h: row c's Mask R-CNN gives the val boxes, the segmentor their masks
# (tools/detections_to_masks.py; no training of its own).
# Work dir layout: segmentor/, proxies/<set>.json (+ .report.json),
# mask_rcnn_<row>_seed<seed>/, boxinst_f_seed<seed>/ and
# boxcaseg_h_seed<seed>/ (finished: .done), results.json.

PY ?= .venv/bin/python
MIM ?= $(dir $(PY))mim
E2E ?= work_dirs/pennfudan_e2e
ROWS ?= a b c d e f g h
SEEDS ?= 0 1 2

# the data: COCO jsons with boxes + real masks, image paths relative to
# IMG_ROOT; SALIENT_DATA: what the segmentor config reads besides
DATA ?= data/pennfudan
TRAIN_ANN ?= $(DATA)/annotations_train.json
VAL_ANN ?= $(DATA)/annotations_val.json
IMG_ROOT ?= $(DATA)
SALIENT_DATA ?= data/davis345/masks data/sod204/masks
# row g's score threshold: the masks scoring below it are ignored in the
# mask loss. The score's scale depends on the photos: read it off the
# report's score percentiles (no GT needed); 0.48 is about the 20th of
# PennFudan's train proxies (a fifth ignored)
DROP_SCORE ?= 0.48
# ImageNet weights the configs start from (empty: the configs need none)
PRETRAINED ?= checkpoints/efficientnet_lite0_mmboxcaseg.pth

SEG_CONFIG ?= configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py
DET_CONFIG ?= configs/proxy_mask_rcnn/proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py
BOXINST_CONFIG ?= configs/boxinst/boxinst_effnet-lite0_fpn_cpu_pennfudan.py
# a given segmentor checkpoint replaces the training
SEG_CKPT ?= $(E2E)/segmentor/segmentor.pth
# the segmentor trains on the train split's boxes (its masks are never read)
SEG_DATA ?= \
    train_dataloader.dataset.datasets.0.data_root=$(DATA)/ \
    train_dataloader.dataset.datasets.0.ann_file=$(notdir $(TRAIN_ANN)) \
    val_dataloader.dataset.data_root=$(DATA)/ \
    val_dataloader.dataset.ann_file=$(notdir $(TRAIN_ANN))
DET_DATA ?= \
    train_dataloader.dataset.data_prefix.img=$(IMG_ROOT)/ \
    val_dataloader.dataset.ann_file=$(VAL_ANN) \
    val_dataloader.dataset.data_prefix.img=$(IMG_ROOT)/ \
    val_evaluator.0.ann_file=$(VAL_ANN) val_evaluator.1.ann_file=$(VAL_ANN)
# extra --cfg-options of the segmentor training, the Mask R-CNN trainings,
# the BoxInst trainings (by default the Mask R-CNN's: a schedule given in
# DET_OPTIONS replaces BoxInst's own too; BOXINST_OPTIONS= keeps it) and
# the BoxCaseg proxies (e.g. PROXY_OPTIONS=model.test_cfg.pred=mixed)
SEG_OPTIONS ?=
DET_OPTIONS ?=
BOXINST_OPTIONS ?= $(DET_OPTIONS)
PROXY_OPTIONS ?=
# non-empty: each proxy set also writes overlays to $(E2E)/overlays/<set>/
SHOW ?=

# one thread per step: `make -j2` keeps two cores busy
RUN := OMP_NUM_THREADS=1 $(PY)
PROXIES := $(E2E)/proxies
ANN_a := $(TRAIN_ANN)
ANN_b := $(PROXIES)/boxcaseg_merge_drop.json
ANN_c := $(PROXIES)/boxcaseg.json
ANN_d := $(PROXIES)/boxfill.json
ANN_e := $(PROXIES)/grabcut.json
ANN_f := $(TRAIN_ANN)
ANN_g := $(PROXIES)/boxcaseg_drop_score.json
# the detector each row trains (its work dir's prefix), its config and
# options: Mask R-CNN but for row f
MODEL_f := boxinst
model = $(or $(MODEL_$(1)),mask_rcnn)
CONFIG_mask_rcnn = $(DET_CONFIG)
CONFIG_boxinst = $(BOXINST_CONFIG)
OPTIONS_mask_rcnn = $(DET_OPTIONS)
OPTIONS_boxinst = $(BOXINST_OPTIONS)
MODEL_h := boxcaseg
E2E_RUNS := $(foreach r,$(ROWS),$(foreach s,$(SEEDS),\
    $(E2E)/$(call model,$(r))_$(r)_seed$(s)/.done))
# the trained rows (row h needs row c's detectors)
TRAINED_ROWS := $(sort $(filter-out h,$(ROWS)) $(if $(filter h,$(ROWS)),c))
opts = $(if $(strip $(1)),--cfg-options $(1))

.PHONY: e2e e2e-table demo-run demo-curves
.DELETE_ON_ERROR:

e2e: $(E2E_RUNS)

e2e-table: e2e
	$(PY) tools/analysis_tools/collect_e2e.py $(E2E) \
	    --out $(E2E)/results.json

$(E2E)/segmentor/segmentor.pth: | $(TRAIN_ANN) $(SALIENT_DATA) $(PRETRAINED)
	$(RUN) tools/train.py $(SEG_CONFIG) --work-dir $(@D) \
	    $(call opts,$(SEG_DATA) $(SEG_OPTIONS))
	cp "$$(cat $(@D)/last_checkpoint)" $@.tmp && mv $@.tmp $@

# proxy set $(1) by generator $(2) with flags $(3), written to a temporary
# folder; the report moves first, the json (the target) last
define proxy_rule
$(PROXIES)/$(1).json: $(if $(filter boxcaseg,$(2)),$(SEG_CKPT)) | $(TRAIN_ANN)
	rm -rf $$@.tmp && mkdir -p $$@.tmp
	$(RUN) tools/generate_proxy_masks.py --ann-file $(TRAIN_ANN) \
	    --img-root $(IMG_ROOT) --out $$@.tmp/$(1).json --generator $(2) \
	    --num-workers 0 --no-progress --no-mask-rcnn-config $(3) \
	    $(if $(SHOW),--show-dir $(E2E)/overlays/$(1))
	mv $$@.tmp/$(1).report.json $(PROXIES)/$(1).report.json
	mv $$@.tmp/$(1).json $$@ && rm -rf $$@.tmp
endef
# the BoxCaseg proxies as the segmentor config's test_cfg makes them (the CPU
# configs: weak head, GrabCut refinement decided per box;
# PROXY_OPTIONS=model.test_cfg.refine=None: the network's masks)
BOXCASEG = --config $(SEG_CONFIG) --checkpoint $(SEG_CKPT) \
    $(call opts,$(PROXY_OPTIONS))
$(eval $(call proxy_rule,boxcaseg,boxcaseg,--no-merge --drop-thr 0 \
    $(BOXCASEG)))
$(eval $(call proxy_rule,boxcaseg_merge_drop,boxcaseg,--drop-thr 0.95 \
    $(BOXCASEG)))
$(eval $(call proxy_rule,boxcaseg_drop_score,boxcaseg,--no-merge \
    --drop-thr 0 --drop-score-thr $(DROP_SCORE) $(BOXCASEG)))
$(eval $(call proxy_rule,boxfill,boxfill,--no-merge --drop-thr 0))
$(eval $(call proxy_rule,grabcut,grabcut,--no-merge --drop-thr 0))

# the detector $(3) of row $(1), seed $(2); its final validation is the last
# one in its vis_data/scalars.json (tools/analysis_tools/collect_e2e.py)
define detector_rule
$(E2E)/$(3)_$(1)_seed$(2)/.done: $(filter-out $(TRAIN_ANN),$(ANN_$(1))) \
    | $(TRAIN_ANN) $(PRETRAINED)
	rm -f $$@
	$(RUN) tools/train.py $(CONFIG_$(3)) --work-dir $$(@D) --cfg-options \
	    train_dataloader.dataset.ann_file=$(ANN_$(1)) randomness.seed=$(2) \
	    $(DET_DATA) $(OPTIONS_$(3))
	touch $$@
endef
$(foreach r,$(TRAINED_ROWS),$(foreach s,$(SEEDS),\
    $(eval $(call detector_rule,$(r),$(s),$(call model,$(r))))))

# row h, seed $(1): row c's detector of that seed writes its val detections
# (mmdet's CocoMetric: dets.bbox.json; its own metrics in its log), the
# segmentor draws each box's mask, scored detector x mask; metrics.json
# holds the COCO AP of these masks (tools/analysis_tools/collect_e2e.py)
DET_TEST_DATA ?= \
    test_dataloader.dataset.ann_file=$(VAL_ANN) \
    test_dataloader.dataset.data_prefix.img=$(IMG_ROOT)/ \
    test_evaluator.0.ann_file=$(VAL_ANN) test_evaluator.1.ann_file=$(VAL_ANN)
# where the detector config's CocoMetric is (a list of evaluators: the first)
DETS_OUT_KEY ?= test_evaluator.0.outfile_prefix
define masks_rule
$(E2E)/boxcaseg_h_seed$(1)/.done: $(E2E)/mask_rcnn_c_seed$(1)/.done \
    $(SEG_CKPT) | $(VAL_ANN)
	rm -f $$@
	$(RUN) tools/test.py $(DET_CONFIG) \
	    "$$$$(cat $(E2E)/mask_rcnn_c_seed$(1)/last_checkpoint)" \
	    --work-dir $$(@D) --cfg-options $(DET_TEST_DATA) \
	    $(DETS_OUT_KEY)=$$(@D)/dets $(DET_OPTIONS)
	$(RUN) tools/detections_to_masks.py $(SEG_CONFIG) $(SEG_CKPT) \
	    --ann-file $(VAL_ANN) --img-root $(IMG_ROOT) \
	    --dets $$(@D)/dets.bbox.json --out $$(@D)/boxcaseg.segm.json \
	    --eval $$(@D)/metrics.json --no-progress $(call opts,$(PROXY_OPTIONS))
	touch $$@
endef
$(if $(filter h,$(ROWS)),$(foreach s,$(SEEDS),\
    $(eval $(call masks_rule,$(s)))))

$(PRETRAINED):
	$(PY) tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
	    --out $@

# ---------------------------------------------------------------- make demo
# The chain on real photos with a short schedule: PennFudan (fetched when
# missing), rows a / c / e, one seed, proxy overlays, the table and loss
# curves (mmdet's analyze_logs.py). Offline it runs on generated scenes.
DEMO_ROWS := a c e
DEMO_SEG := train_cfg.max_iters=300 train_cfg.val_interval=300 \
    default_hooks.checkpoint.interval=300
DEMO_DET := train_cfg.max_iters=150 train_cfg.val_interval=150 \
    default_hooks.checkpoint.interval=150 param_scheduler.1.end=150 \
    param_scheduler.1.milestones=[120,140]
DEMO_DATA := data/pennfudan/annotations_train.json $(SALIENT_DATA)
DEMO_VARS = ROWS='$(DEMO_ROWS)' SEEDS=0 SHOW=1 \
    SEG_OPTIONS='$(DEMO_SEG)' DET_OPTIONS='$(DEMO_DET)'
# where the demo writes (its offline run: SYNTHETIC)
DEMO_DIR ?= work_dirs/demo
SYNTHETIC ?= work_dirs/demo_synthetic
SYNTHETIC_VARS = E2E=$(SYNTHETIC) DATA=$(SYNTHETIC)/data/scenes \
    TRAIN_ANN=$(SYNTHETIC)/data/scenes/annotations.json \
    IMG_ROOT=$(SYNTHETIC)/data/scenes/images SALIENT_DATA= SEG_DATA= \
    DET_DATA= DET_TEST_DATA= DETS_OUT_KEY=test_evaluator.outfile_prefix \
    SEG_CONFIG=configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_synthetic.py \
    DET_CONFIG=configs/proxy_mask_rcnn/proxy-mask-rcnn_effnet-lite0_fpn_cpu_synthetic.py

demo: setup
	@if $(MAKE) -s --no-print-directory $(DEMO_DATA); then \
	    $(MAKE) --no-print-directory -j2 demo-run E2E=$(DEMO_DIR) \
	        $(DEMO_VARS); \
	else \
	    echo 'demo: PennFudan could not be fetched (offline?): the same' \
	        'chain on generated scenes instead, a smoke test, not a' \
	        'comparison (GrabCut wins on generated shapes; on real' \
	        'photos BoxCaseg does)'; \
	    $(MAKE) --no-print-directory -j2 demo-run $(SYNTHETIC_VARS) \
	        $(DEMO_VARS); \
	fi

demo-run: e2e-table demo-curves

# the loss curves of the segmentor and of each training (newest run)
demo-curves: e2e
	set -e; logs=; names=; \
	for d in $(E2E)/segmentor $(sort $(dir $(E2E_RUNS))); do \
	    log=$$(ls $$d/*/vis_data/scalars.json 2>/dev/null | tail -n 1); \
	    [ -n "$$log" ] || continue; \
	    logs="$$logs $$log"; names="$$names $$(basename $$d)"; \
	done; \
	$(MIM) run mmdet analyze_logs plot_curve $$logs --keys loss \
	    --legend $$names --backend agg --out $(E2E)/loss_curves.png

$(SYNTHETIC)/data/scenes/annotations.json:
	rm -rf $(SYNTHETIC)/data.tmp
	$(PY) tools/dataset_converters/generate_synthetic.py \
	    --out $(SYNTHETIC)/data.tmp --seed 0
	rm -rf $(SYNTHETIC)/data && mv $(SYNTHETIC)/data.tmp $(SYNTHETIC)/data
