//===- VulkanDevice.h - Instance, device, queue and memory ------*- C++ -*-===//
//
// The Vulkan plumbing under VulkanEngine: one instance and logical device
// with a compute queue, its features, memory types, and Vulkan results as
// llvm::Error in words a user can act on.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_VULKAN_VULKANDEVICE_H
#define NABLA_RUNTIME_VULKAN_VULKANDEVICE_H

#include "nabla/runtime/VulkanEngine.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <vulkan/vulkan.h>

#include <optional>

namespace nabla::vk {

/// "VK_ERROR_OUT_OF_DEVICE_MEMORY", for messages.
const char *resultName(VkResult result);
/// Success, or "error: <what> failed: <result name>".
llvm::Error check(VkResult result, const llvm::Twine &what);

class Device {
public:
  /// -1: the first discrete GPU, else device 0.
  static llvm::Expected<std::unique_ptr<Device>> open(int index);
  ~Device();

  VkDevice get() const { return device; }
  VkQueue getQueue() const { return queue; }
  VkCommandPool getCommandPool() const { return pool; }
  const VulkanDeviceInfo &getInfo() const { return info; }
  /// Nanoseconds per timestamp tick.
  float getTimestampPeriod() const { return timestampPeriod; }
  VkDeviceSize getMinStorageAlignment() const { return storageAlignment; }

  /// A memory type in `typeBits` with all of `flags`, if any.
  std::optional<uint32_t> findMemoryType(uint32_t typeBits,
                                         VkMemoryPropertyFlags flags) const;
  /// The size of the heap that memory type `type` allocates from.
  VkDeviceSize heapSize(uint32_t type) const;

  /// Records commands into a fresh command buffer, submits it and waits.
  llvm::Error runOnce(llvm::function_ref<void(VkCommandBuffer)> record);
  /// Submits `commands` and waits for them to finish.
  llvm::Error submitAndWait(VkCommandBuffer commands);

private:
  Device() = default;

  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties memory{};
  VulkanDeviceInfo info;
  float timestampPeriod = 1;
  VkDeviceSize storageAlignment = 256;
  uint32_t queueFamily = 0;
};

} // namespace nabla::vk

#endif // NABLA_RUNTIME_VULKAN_VULKANDEVICE_H
