"""Every word the case services put into a sentence (refusals, notices, timelines) has its Chinese: a word
missing from the catalogue would show in English inside a Chinese sentence."""

from django.utils import translation
from django.utils.functional import Promise

from cases import words


def _tables():
    for name in dir(words):
        value = getattr(words, name)
        if name.isupper() and isinstance(value, dict):
            yield name, value


def test_every_word_in_the_services_tables_reads_in_chinese():
    untranslated = []
    for name, table in _tables():
        for key, word in table.items():
            if not isinstance(word, Promise):
                continue
            with translation.override("en"):
                english = str(word)
            with translation.override("zh-hans"):
                chinese = str(word)
            if chinese == english:
                untranslated.append(f"{name}[{key!r}]: {english!r}")
    assert not untranslated, "no Chinese for:\n" + "\n".join(untranslated)
