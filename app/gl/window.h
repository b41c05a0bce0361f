#pragma once
#include <functional>
#include <string>
#include <vector>

#include "app/gl/gl.h"

namespace siren::studio {

struct GlContextInfo {
  int major = 0, minor = 0;
  std::string version, renderer;
};

// The GLFW window and its OpenGL context: the newest core profile the driver gives (4.5, then 4.3,
// then 3.3), the loader initialised, files dropped on it forwarded to a handler.
class Window {
 public:
  // Throws siren::Error with GLFW's own explanation when no window or context can be made.
  Window(int width, int height, const std::string& title);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  GLFWwindow* handle() const { return window_; }
  const GlContextInfo& context() const { return context_; }
  bool should_close() const { return glfwWindowShouldClose(window_) != 0; }
  void request_close() { glfwSetWindowShouldClose(window_, 1); }
  void framebuffer_size(int* width, int* height) const { glfwGetFramebufferSize(window_, width, height); }
  // The monitor's refresh rate, or 60 where there is none to ask (a virtual display).
  double refresh_rate() const;
  // When the user last moved the mouse, clicked, scrolled, typed or focused the window (glfwGetTime).
  double last_input() const { return last_input_; }
  // Whether the window system asked for a redraw (uncovered, resized) since the last call.
  bool take_damage() {
    const bool d = damaged_;
    damaged_ = false;
    return d;
  }
  // Called from glfwPollEvents with the paths of files dropped on the window.
  void on_drop(std::function<void(const std::vector<std::string>&)> handler) { drop_handler_ = std::move(handler); }

 private:
  static void drop_callback(GLFWwindow* window, int count, const char** paths);
  static void refresh_callback(GLFWwindow* window);
  static void mark_input(GLFWwindow* window);

  GLFWwindow* window_ = nullptr;
  GlContextInfo context_;
  bool damaged_ = true;
  double last_input_ = 0;
  std::function<void(const std::vector<std::string>&)> drop_handler_;
};

}  // namespace siren::studio
