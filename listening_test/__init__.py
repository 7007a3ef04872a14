"""The listening-test kit (paper section 5.2).

From benchmark rankings to blind test clips (:mod:`~nlc.listening_test.stimuli`), a static
questionnaire and its collecting server (:mod:`~nlc.listening_test.server`), a webMUSHRA
bridge (:mod:`~nlc.listening_test.webmushra`), and from the responses to MOS, Cronbach's
alpha and pairwise Wilcoxon tests (:mod:`~nlc.listening_test.stats`).
"""
