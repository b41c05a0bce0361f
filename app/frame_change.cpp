#include "app/frame_change.h"

#include <cstring>

namespace siren::studio {

namespace {

class Hasher {
 public:
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    for (; i < bytes; ++i) mix(p[i]);
  }
  uint64_t value() const { return h_; }

 private:
  void mix(uint64_t w) {
    h_ = (h_ ^ w) * 0x100000001B3ull;
    h_ ^= h_ >> 29;
  }
  uint64_t h_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace

bool FrameChangeDetector::changed(const ImDrawData* dd, int width, int height, uint64_t target_redraws) {
  Hasher h;
  h.add(&width, sizeof width);
  h.add(&height, sizeof height);
  h.add(&dd->DisplaySize, sizeof dd->DisplaySize);
  for (int l = 0; l < dd->CmdListsCount; ++l) {
    const ImDrawList* list = dd->CmdLists[l];
    h.add(list->VtxBuffer.Data, size_t(list->VtxBuffer.Size) * sizeof(ImDrawVert));
    h.add(list->IdxBuffer.Data, size_t(list->IdxBuffer.Size) * sizeof(ImDrawIdx));
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      h.add(&cmd.ClipRect, sizeof cmd.ClipRect);
      h.add(&cmd.TextureId, sizeof cmd.TextureId);
      h.add(&cmd.ElemCount, sizeof cmd.ElemCount);
      h.add(&cmd.IdxOffset, sizeof cmd.IdxOffset);
    }
  }
  const bool changed = h.value() != last_hash_ || target_redraws != last_redraws_;
  last_hash_ = h.value();
  last_redraws_ = target_redraws;
  return changed;
}

}  // namespace siren::studio
