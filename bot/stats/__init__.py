"""/stats: usage of the last days (questions, answers, votes, briefings, quizzes), with a chart."""
