#include "app/gl/window.h"

#include <cstring>

#include "core/util/error.h"

namespace siren::studio {

namespace {
// GLFW reports failures through a callback; keep the last one for the exception's message.
std::string g_last_glfw_error;
void glfw_error(int, const char* description) { g_last_glfw_error = description ? description : "unknown"; }
}  // namespace

Window::Window(int width, int height, const std::string& title) {
  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) throw Error("cannot open a window: " + g_last_glfw_error + " (is a display available?)");
  // Newest first: 4.5 gives direct state access and debug output; 3.3 is what old drivers offer.
  const int versions[][2] = {{4, 5}, {4, 3}, {3, 3}};
  for (const auto& v : versions) {
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, v[0]);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, v[1]);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (window_) break;
  }
  if (!window_) {
    const std::string why = g_last_glfw_error;
    glfwTerminate();
    throw Error("cannot create an OpenGL 3.3 (or newer) core window: " + why);
  }
  glfwMakeContextCurrent(window_);
  if (!gladLoadGL(glfwGetProcAddress)) {
    glfwDestroyWindow(window_);
    glfwTerminate();
    throw Error("cannot load the OpenGL functions of this context");
  }
  glGetIntegerv(GL_MAJOR_VERSION, &context_.major);
  glGetIntegerv(GL_MINOR_VERSION, &context_.minor);
  auto str = [](GLenum e) {
    const GLubyte* s = glGetString(e);
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  };
  context_.version = str(GL_VERSION);
  context_.renderer = str(GL_RENDERER);
  glfwSwapInterval(1);
  glfwSetWindowUserPointer(window_, this);
  glfwSetDropCallback(window_, drop_callback);
  glfwSetWindowRefreshCallback(window_, refresh_callback);
  // Installed before ImGui's GLFW backend, which calls them from its own callbacks.
  glfwSetCursorPosCallback(window_, [](GLFWwindow* w, double, double) { mark_input(w); });
  glfwSetMouseButtonCallback(window_, [](GLFWwindow* w, int, int, int) { mark_input(w); });
  glfwSetScrollCallback(window_, [](GLFWwindow* w, double, double) { mark_input(w); });
  glfwSetKeyCallback(window_, [](GLFWwindow* w, int, int, int, int) { mark_input(w); });
  glfwSetCharCallback(window_, [](GLFWwindow* w, unsigned) { mark_input(w); });
  glfwSetWindowFocusCallback(window_, [](GLFWwindow* w, int) { mark_input(w); });
  glfwSetCursorEnterCallback(window_, [](GLFWwindow* w, int) { mark_input(w); });
  last_input_ = glfwGetTime();
}

void Window::mark_input(GLFWwindow* window) {
  if (auto* self = static_cast<Window*>(glfwGetWindowUserPointer(window))) self->last_input_ = glfwGetTime();
}

Window::~Window() {
  glfwDestroyWindow(window_);
  glfwTerminate();
}

double Window::refresh_rate() const {
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
  return mode && mode->refreshRate >= 24 ? double(mode->refreshRate) : 60.0;
}

void Window::refresh_callback(GLFWwindow* window) {
  if (auto* self = static_cast<Window*>(glfwGetWindowUserPointer(window))) self->damaged_ = true;
}

void Window::drop_callback(GLFWwindow* window, int count, const char** paths) {
  auto* self = static_cast<Window*>(glfwGetWindowUserPointer(window));
  if (!self || !self->drop_handler_) return;
  std::vector<std::string> files(paths, paths + count);
  self->drop_handler_(files);
}

}  // namespace siren::studio
