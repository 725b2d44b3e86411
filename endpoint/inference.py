"""Cross-encoder handler for the Hugging Face PyTorch inference DLC on SageMaker (GPU or CPU).

Same contract as the seed's inference.py and the Node endpoint server:
    request  {"pairs": [[query, passage], ...]}  (or {"text_pairs": ...}, LangChain's default content handler)
    response {"scores": [logit, ...]}          (raw logits, one per pair, in request order)
Differences from the seed: pairs are sorted by length and scored in batches (less padding), the model runs in
fp16 on GPU, and bad requests fail with a clear message. Package it as code/inference.py inside model.tar.gz,
or set SAGEMAKER_PROGRAM=inference.py with HF_MODEL_ID (see docs/deploy.md, "The cross-encoder endpoint").
"""
import json
import os

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

BATCH_SIZE = int(os.environ.get("RERANK_BATCH_SIZE", "32"))
MAX_LENGTH = int(os.environ.get("RERANK_MAX_LENGTH", "512"))
MAX_PAIRS = int(os.environ.get("RERANK_MAX_PAIRS", "1000"))


def model_fn(model_dir):
    source = os.environ.get("HF_MODEL_ID") or model_dir
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(source)
    dtype = torch.float16 if device == "cuda" else torch.float32
    model = AutoModelForSequenceClassification.from_pretrained(source, torch_dtype=dtype)
    model.to(device).eval()
    return {"tokenizer": tokenizer, "model": model, "device": device}


def input_fn(request_body, content_type="application/json"):
    if content_type != "application/json":
        raise ValueError(f"unsupported content type {content_type}; send application/json")
    payload = json.loads(request_body)
    # "text_pairs" is what LangChain's SagemakerEndpointCrossEncoder sends by default; "pairs" is the seed's.
    keys = [k for k in ("pairs", "text_pairs") if isinstance(payload, dict) and k in payload]
    if len(keys) != 1:
        raise ValueError('body must be {"pairs": [[query, passage], ...]} or {"text_pairs": [...]}, not both')
    pairs = payload[keys[0]]
    if not isinstance(pairs, list) or not pairs:
        raise ValueError("pairs must be a non-empty list of [query, passage]")
    if len(pairs) > MAX_PAIRS:
        raise ValueError(f"at most {MAX_PAIRS} pairs per request")
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
            raise ValueError("every pair must be [query, passage] with two strings")
    return pairs


def predict_fn(pairs, artifacts):
    tokenizer, model, device = artifacts["tokenizer"], artifacts["model"], artifacts["device"]
    # Longest first: similar lengths share a batch, so padding (to the batch's longest) stays small.
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]), reverse=True)
    scores = [0.0] * len(pairs)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            features = tokenizer(
                [pairs[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            ).to(device)
            logits = model(**features).logits.float()
            # One-label heads give the relevance logit; two-label heads the log-odds of "relevant" (l1 - l0), so
            # that sigmoid(score) is its softmax probability, as the Node server reports them.
            column = logits[:, 0] if logits.shape[1] == 1 else logits[:, 1] - logits[:, 0]
            for i, score in zip(batch, column.tolist()):
                scores[i] = score
    return scores


def output_fn(scores, accept="application/json"):
    return json.dumps({"scores": scores})
