# Commands for a newcomer; each sets up .venv itself (tools/setup_env.sh).
PY := .venv/bin/python
# the default model: the best CPU recipe (docs/model_zoo.md)
MODEL_CONFIG := configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py
MODEL := checkpoints/boxcaseg_effnet-lite0_cpu_coco128.pth

.PHONY: setup test demo model clean-venv

setup:
	bash tools/setup_env.sh

test: setup
	$(PY) -m pytest tests -q -p no:cacheprovider

# e2e, e2e-table, demo: the pipelines as make rules (tools/pipelines.mk)
include tools/pipelines.mk

# the default model's data sets, each fetched when its folder is missing
# (tools/misc/download_dataset.py); a machine that holds them links them
# instead: ln -s /path/to/the/sets data
MODEL_DATA := data/coco128/annotations.json data/davis345/masks data/sod204/masks

# (setup first only where the venv is missing: the pipelines of
# tools/pipelines.mk never run it)
$(MODEL_DATA) data/pennfudan/annotations_train.json: | \
    $(if $(wildcard $(PY)),,setup)
	$(PY) tools/misc/download_dataset.py --dataset-name \
	    $(word 2,$(subst /, ,$@)) --save-dir data --unzip

# train the default model (~22 min alone on 2 CPU cores), then write $(MODEL) and
# its sha256, which model-index.yml names (Inferencer, demo, converter)
model: setup $(MODEL_DATA) $(PRETRAINED)
	$(PY) tools/train.py $(MODEL_CONFIG) --work-dir work_dirs/model
	$(PY) tools/model_converters/publish_model.py \
	    work_dirs/model/$$(basename $$(cat work_dirs/model/last_checkpoint)) $(MODEL)

clean-venv:
	rm -rf .venv
