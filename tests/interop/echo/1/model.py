"""A model whose methods echo what they are given, one per argument and return type the SDK
supports, so that a client can check that every type travels both ways."""

from typing import Dict, Iterator, List, Tuple

import numpy as np

from clarifai.runners.models.model_class import ModelClass
from clarifai.runners.utils.data_types import (
    JSON, Audio, Concept, Frame, Image, NamedFields, Region, Text, Video)


class Echo(ModelClass):
    def load_model(self):
        pass

    @ModelClass.method
    def predict(self, prompt: str, temperature: float = 0.7, max_tokens: int = 16,
                loud: bool = False) -> str:
        """The text, with the sampling arguments it was given."""
        text = prompt.upper() if loud else prompt
        return f"{text}|{temperature}|{max_tokens}"

    @ModelClass.method
    def scalars(self, s: str, b: bytes, i: int, f: float, flag: bool) -> Tuple[str, bytes, int, float, bool]:
        return (s + "!", b + b"!", i + 1, f * 2, not flag)

    @ModelClass.method
    def array(self, x: np.ndarray) -> np.ndarray:
        return x * 2

    @ModelClass.method
    def json(self, doc: JSON) -> JSON:
        return {"got": doc, "kind": type(doc).__name__}

    @ModelClass.method
    def json_list(self, items: List[Dict]) -> List[Dict]:
        return list(reversed(items))

    @ModelClass.method
    def messages(self, text: Text, image: Image, audio: Audio, video: Video) -> Tuple[Text, Image, Audio, Video]:
        return (Text(text.text + "!"), image, audio, video)

    @ModelClass.method
    def concepts(self, concepts: List[Concept]) -> List[Concept]:
        return [Concept(c.name, value=c.value / 2, id=c.id) for c in concepts]

    @ModelClass.method
    def one_concept(self, concept: Concept) -> Concept:
        return Concept(concept.name + "!", value=0.25)

    @ModelClass.method
    def regions(self, regions: List[Region]) -> List[Region]:
        return regions

    @ModelClass.method
    def frames(self, frames: List[Frame]) -> List[Frame]:
        return frames

    @ModelClass.method
    def lists(self, words: List[str], numbers: List[int], nested: List[List[float]]) -> List[str]:
        return [f"{len(words)}:{sum(numbers)}:{sum(sum(r) for r in nested)}"] + words

    @ModelClass.method
    def named(self, name: str, scores: List[float]) -> NamedFields(name=str, best=float, count=int):
        return NamedFields(name=name, best=max(scores), count=len(scores))

    @ModelClass.method
    def generate(self, prompt: str, count: int = 3) -> Iterator[str]:
        """Each word of the prompt, then as many numbers as asked."""
        for word in prompt.split():
            yield word
        for i in range(count):
            yield str(i)

    @ModelClass.method
    def stream(self, chunks: Iterator[str], suffix: str = "?") -> Iterator[str]:
        """Each chunk back with the suffix."""
        for chunk in chunks:
            yield chunk + suffix

    @ModelClass.method
    def fail(self, reason: str) -> str:
        raise ValueError(reason)

    @ModelClass.method
    def fail(self, reason: str) -> str:
        """Fails on purpose, with the reason."""
        raise ValueError(reason)
