"""Rules that apply a task's skill to the text alone, for probe-difficulty.py's `rule` column: where bag-of-words
models stay at chance, they show that the label still follows from the input (the task is not impossible)."""
import re

ARTICLE = r"(?:a|an) "
QUESTION = [
    rf"^What is {ARTICLE}(.+)\?$", r"^What does the word (.+) mean\?$", r"^What is meant by (.+)\?$",
    rf"^How is {ARTICLE}(.+) defined\?$", rf"^What exactly is {ARTICLE}(.+)\?$", r"^What does it mean to (.+)\?$",
    r"^What does the verb (.+) mean\?$", r"^What do people do when they (.+)\?$",
]
DEFINITION = [
    r"^(?:A|An) (\S+) is ", r"^The word (\S+) means ", rf"^In everyday use, {ARTICLE}(\S+) is ", r"^(\S+) refers to ",
    rf"^By definition, {ARTICLE}(\S+) is ", r"^To (\S+) is to ", r"^The verb (\S+) means to ", r"^When people (\S+), they ",
]
FACT = re.compile(r"^(?:A|An|Every|Each|Any) (.+?) (?:is a kind of|is a type of|counts as|is) (?:(?:a|an) )?(.+)$")


def first_match(patterns, text):
    for pattern in patterns:
        m = re.match(pattern, text)
        if m:
            return m.group(1).lower()
    return None


def qnli(row):
    """Entailment (0) when the sentence defines the word the question asks about."""
    asked = first_match(QUESTION, row["question"])
    defined = first_match(DEFINITION, row["sentence"])
    return 0 if asked is not None and asked == defined else 1


def fact(sentence):
    m = FACT.match(sentence.rstrip("."))
    return (m.group(1), m.group(2)) if m else (None, None)


def rte(row):
    """Entailment (0) when the claim's link follows from the stated links (a path in their graph)."""
    links = [fact(s) for s in re.split(r"(?<=\.) ", row["sentence1"])]
    a, b = fact(row["sentence2"])
    reached, frontier = set(), {a}
    while frontier:
        reached |= frontier
        frontier = {y for x, y in links if x in frontier} - reached
    return 0 if b in reached and b != a else 1


RULES = {"qnli": qnli, "rte": rte}
