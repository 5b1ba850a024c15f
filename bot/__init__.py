"""The dialogue engine's side: the spaCy pipeline build, entity patterns, custom Rasa
components, the Rasa launcher and its speedups, training, and the trainers' NLU tools. The
language helpers everything uses are in language/."""
