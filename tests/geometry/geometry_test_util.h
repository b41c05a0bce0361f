#pragma once
#include <gtest/gtest.h>

#include <string>

#include "core/util/error.h"

// Expects `statement` to throw siren::Error with a message containing `substring`.
#define EXPECT_THROWS_WITH(statement, substring)                                                   \
  do {                                                                                             \
    try {                                                                                          \
      statement;                                                                                   \
      ADD_FAILURE() << "no siren::Error from: " #statement;                                        \
    } catch (const ::siren::Error& e) {                                                            \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)                          \
          << "message: " << e.what() << "\nexpected to contain: " << (substring);                  \
    }                                                                                              \
  } while (0)

// Expects the text to contain `substring`.
#define EXPECT_CONTAINS(text, substring)                                                           \
  EXPECT_NE(std::string(text).find(substring), std::string::npos)                                  \
      << "text: " << (text) << "\nexpected to contain: " << (substring)
