// The questions of --predict, one line per scenario (a table, as
// registry.cpp is for the scenarios): what is asked, which figure of the
// run's own summary answers it, and how an answer is compared with it.
//
// Texts live in the catalogues (data/messages/<lang>/predict.json):
//   predict.<scenario>.question   asked before the run; {placeholders} are
//                                 the run's options (see QuestionParam)
//   predict.<scenario>.why        said after it, filled from the summary's
//                                 figures, the parameters, {measured} and {answer}
//   predict.<scenario>.<param>.<value>   a Word parameter's text
#pragma once

#include <span>
#include <string_view>

namespace mpdemo {

// How an answer is compared with the measured figure.
enum class AnswerKind {
  Whole,    // an integer, equal
  Seconds,  // a duration, within kSecondsTolerance of the measured one
  Choice,   // one of the tokens of `choices`
  YesNo,    // yes/no against the figure's truth (true, or a number other than 0)
};

// How a {placeholder} of the question is filled from an option of the run.
enum class ParamForm {
  Text,         // the option's value as given (or its default)
  Duration,     // a duration option, scaled by --speed: what the run will really wait
  DurationList, // a list of durations (join-timing's --sleeps), each scaled by --speed
  Word,         // catalogue text predict.<scenario>.<placeholder>.<value>; a flag's value is on/off,
                // an option not given and without a default says nothing ("")
};

struct QuestionParam {
  const char* placeholder = nullptr;  // nullptr ends the list
  const char* option = nullptr;       // "--buyers"
  ParamForm form = ParamForm::Text;
};

inline constexpr int kMaxParams = 5;

struct Question {
  const char* scenario;
  QuestionParam params[kMaxParams];
  // Where the answer is in the summary line: "sold", "seen.Stopped" (a field
  // of an object), "check:NAME" (the measured value of a check).
  const char* measured;
  AnswerKind kind;
  // Choice: "token=value|token=value": the answer typed, and the measured
  // value it stands for (a token may stand for several values).
  const char* choices = "";
  // YesNo: the answer "yes" means the figure is false (or 0).
  bool yes_when_false = false;
};

// A duration answer holds when it is within this fraction of the measured
// time, or within kSecondsFloor seconds of it, whichever is wider (a run
// at --speed 0.01 lasts a few milliseconds: a percentage alone is too strict).
inline constexpr double kSecondsTolerance = 0.25;
inline constexpr double kSecondsFloor = 0.05;

std::span<const Question> question_table();
const Question* find_question(std::string_view scenario);

}  // namespace mpdemo
