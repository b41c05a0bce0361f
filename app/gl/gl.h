#pragma once
// One place that includes the loader before GLFW, so GLFW never pulls in a system GL header.
#include <glad/gl.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
