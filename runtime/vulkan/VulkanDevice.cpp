//===- VulkanDevice.cpp - Instance, device, queue and memory --------------===//
#include "VulkanDevice.h"
#include "nabla/support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace nabla;
using namespace nabla::vk;

const char *vk::resultName(VkResult result) {
  switch (result) {
#define CASE(name)                                                             \
  case name:                                                                   \
    return #name;
    CASE(VK_SUCCESS)
    CASE(VK_NOT_READY)
    CASE(VK_TIMEOUT)
    CASE(VK_INCOMPLETE)
    CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    CASE(VK_ERROR_INITIALIZATION_FAILED)
    CASE(VK_ERROR_DEVICE_LOST)
    CASE(VK_ERROR_MEMORY_MAP_FAILED)
    CASE(VK_ERROR_LAYER_NOT_PRESENT)
    CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    CASE(VK_ERROR_TOO_MANY_OBJECTS)
    CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    CASE(VK_ERROR_FRAGMENTED_POOL)
    CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    CASE(VK_ERROR_INVALID_SHADER_NV)
#undef CASE
  default:
    return "an unknown Vulkan error";
  }
}

llvm::Error vk::check(VkResult result, const llvm::Twine &what) {
  if (result == VK_SUCCESS)
    return llvm::Error::success();
  return makeError("error: " + what + " failed: " + resultName(result));
}

namespace {

llvm::Error noVulkan(VkResult result) {
  return makeError(
      llvm::Twine("error: no Vulkan device: creating a Vulkan instance "
                  "failed (") +
      resultName(result) +
      "); install a Vulkan driver (on a machine without a GPU, Mesa's "
      "lavapipe: apt install mesa-vulkan-drivers) or use --device cpu");
}

llvm::Expected<VkInstance> createInstance() {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "nabla";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  create.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  if (VkResult r = vkCreateInstance(&create, nullptr, &instance))
    return noVulkan(r);
  return instance;
}

llvm::Expected<std::vector<VkPhysicalDevice>> physicalDevices(VkInstance instance) {
  uint32_t count = 0;
  if (auto e = check(vkEnumeratePhysicalDevices(instance, &count, nullptr),
                     "listing Vulkan devices"))
    return std::move(e);
  std::vector<VkPhysicalDevice> devices(count);
  if (auto e = check(vkEnumeratePhysicalDevices(instance, &count, devices.data()),
                     "listing Vulkan devices"))
    return std::move(e);
  if (devices.empty())
    return makeError(
        "error: no Vulkan device: the Vulkan loader found no device (on a "
        "machine without a GPU, install Mesa's lavapipe: apt install "
        "mesa-vulkan-drivers) or use --device cpu");
  return devices;
}

const char *typeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "CPU";
  default:
    return "other";
  }
}

bool hasExtension(VkPhysicalDevice device, const char *name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count,
                                       extensions.data());
  for (const auto &e : extensions)
    if (std::strcmp(e.extensionName, name) == 0)
      return true;
  return false;
}

/// The queue family with compute (and timestamps, if any has them).
std::optional<uint32_t> computeQueueFamily(VkPhysicalDevice device,
                                           bool *timestamps) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  std::optional<uint32_t> found;
  for (uint32_t i = 0; i < count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
      continue;
    bool ts = families[i].timestampValidBits > 0;
    if (!found || (ts && !*timestamps)) {
      found = i;
      *timestamps = ts;
    }
  }
  return found;
}

VulkanDeviceInfo describeDevice(VkPhysicalDevice device, unsigned index) {
  VulkanDeviceInfo info;
  info.index = index;
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceDriverProperties driver{};
  driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
  subgroup.pNext = &driver;
  VkPhysicalDeviceMaintenance3Properties maintenance3{};
  maintenance3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES;
  driver.pNext = &maintenance3;
  VkPhysicalDeviceProperties2 props{};
  props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &props);
  const VkPhysicalDeviceProperties &p = props.properties;
  info.name = p.deviceName;
  info.type = typeName(p.deviceType);
  info.apiVersion = llvm::formatv("{0}.{1}.{2}", VK_API_VERSION_MAJOR(p.apiVersion),
                                  VK_API_VERSION_MINOR(p.apiVersion),
                                  VK_API_VERSION_PATCH(p.apiVersion));
  info.driver = std::string(driver.driverName) + " " + driver.driverInfo;
  info.subgroupSize = subgroup.subgroupSize;
  info.subgroupArithmetic =
      (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
      (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT);
  info.maxWorkgroupInvocations = p.limits.maxComputeWorkGroupInvocations;
  info.maxStorageBufferBytes = p.limits.maxStorageBufferRange;
  info.maxAllocationBytes = maintenance3.maxMemoryAllocationSize;
  info.cooperativeMatrix = hasExtension(device, "VK_KHR_cooperative_matrix");

  VkPhysicalDeviceShaderFloat16Int8Features f16{};
  f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  VkPhysicalDevice16BitStorageFeatures storage16{};
  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage16.pNext = &f16;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &storage16;
  vkGetPhysicalDeviceFeatures2(device, &features);
  info.int64 = features.features.shaderInt64;
  info.float16 = VK_API_VERSION_MINOR(p.apiVersion) >= 2 &&
                 f16.shaderFloat16 && storage16.storageBuffer16BitAccess;
  info.int16 =
      features.features.shaderInt16 && storage16.storageBuffer16BitAccess;

  bool timestamps = false;
  computeQueueFamily(device, &timestamps);
  info.timestamps = timestamps && p.limits.timestampPeriod > 0;

  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (uint32_t i = 0; i < memory.memoryHeapCount; ++i)
    if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info.deviceLocalBytes =
          std::max<uint64_t>(info.deviceLocalBytes, memory.memoryHeaps[i].size);
  return info;
}

} // namespace

llvm::Expected<std::vector<VulkanDeviceInfo>> nabla::listVulkanDevices() {
  auto instance = createInstance();
  if (!instance)
    return instance.takeError();
  auto devices = physicalDevices(*instance);
  std::vector<VulkanDeviceInfo> infos;
  if (devices)
    for (unsigned i = 0; i < devices->size(); ++i)
      infos.push_back(describeDevice((*devices)[i], i));
  vkDestroyInstance(*instance, nullptr);
  if (!devices)
    return devices.takeError();
  return infos;
}

llvm::Expected<std::unique_ptr<Device>> Device::open(int index) {
  std::unique_ptr<Device> d(new Device());
  auto instance = createInstance();
  if (!instance)
    return instance.takeError();
  d->instance = *instance;
  auto devices = physicalDevices(d->instance);
  if (!devices)
    return devices.takeError();
  if (index >= static_cast<int>(devices->size()))
    return makeError(
        llvm::formatv("error: no Vulkan device {0}: this machine has {1} "
                      "(see nablac devices)",
                      index, devices->size()));
  if (index < 0) {
    index = 0;
    for (unsigned i = 0; i < devices->size(); ++i) {
      VkPhysicalDeviceProperties p;
      vkGetPhysicalDeviceProperties((*devices)[i], &p);
      if (p.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU) {
        index = static_cast<int>(i);
        break;
      }
    }
  }
  d->physical = (*devices)[index];
  d->info = describeDevice(d->physical, index);
  bool timestamps = false;
  auto family = computeQueueFamily(d->physical, &timestamps);
  if (!family)
    return makeError("error: Vulkan device " + d->info.name +
                     " has no compute queue");
  d->queueFamily = *family;
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(d->physical, &props);
  d->timestampPeriod = props.limits.timestampPeriod;
  d->storageAlignment = props.limits.minStorageBufferOffsetAlignment;
  vkGetPhysicalDeviceMemoryProperties(d->physical, &d->memory);

  float priority = 1;
  VkDeviceQueueCreateInfo queueInfo{};
  queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queueInfo.queueFamilyIndex = d->queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  // Enable what the codegen may use: 64-bit integers, 16-bit floats, and
  // 16-bit integers (bf16 is stored as i16).
  VkPhysicalDeviceShaderFloat16Int8Features f16{};
  f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  f16.shaderFloat16 = d->info.float16;
  VkPhysicalDevice16BitStorageFeatures storage16{};
  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage16.storageBuffer16BitAccess = d->info.float16 || d->info.int16;
  storage16.pNext = d->info.float16 ? &f16 : nullptr;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.features.shaderInt64 = d->info.int64;
  features.features.shaderInt16 = d->info.int16;
  features.pNext = &storage16;
  VkDeviceCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  create.pNext = &features;
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queueInfo;
  if (auto e = check(vkCreateDevice(d->physical, &create, nullptr, &d->device),
                     "creating the Vulkan device " + d->info.name))
    return std::move(e);
  vkGetDeviceQueue(d->device, d->queueFamily, 0, &d->queue);
  VkCommandPoolCreateInfo poolInfo{};
  poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  poolInfo.queueFamilyIndex = d->queueFamily;
  if (auto e = check(vkCreateCommandPool(d->device, &poolInfo, nullptr, &d->pool),
                     "creating a command pool"))
    return std::move(e);
  VkFenceCreateInfo fenceInfo{};
  fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  if (auto e = check(vkCreateFence(d->device, &fenceInfo, nullptr, &d->fence),
                     "creating a fence"))
    return std::move(e);
  return d;
}

Device::~Device() {
  if (device) {
    vkDeviceWaitIdle(device);
    if (fence)
      vkDestroyFence(device, fence, nullptr);
    if (pool)
      vkDestroyCommandPool(device, pool, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (instance)
    vkDestroyInstance(instance, nullptr);
}

std::optional<uint32_t> Device::findMemoryType(uint32_t typeBits,
                                               VkMemoryPropertyFlags flags) const {
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i)
    if ((typeBits & (1u << i)) &&
        (memory.memoryTypes[i].propertyFlags & flags) == flags)
      return i;
  return std::nullopt;
}

VkDeviceSize Device::heapSize(uint32_t type) const {
  return memory.memoryHeaps[memory.memoryTypes[type].heapIndex].size;
}

llvm::Error Device::submitAndWait(VkCommandBuffer commands) {
  VkSubmitInfo submit{};
  submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  if (auto e = check(vkQueueSubmit(queue, 1, &submit, fence),
                     "submitting work to " + info.name))
    return e;
  VkResult waited = vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
  vkResetFences(device, 1, &fence);
  return check(waited, "waiting for " + info.name);
}

llvm::Error Device::runOnce(llvm::function_ref<void(VkCommandBuffer)> record) {
  VkCommandBufferAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  alloc.commandPool = pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer commands;
  if (auto e = check(vkAllocateCommandBuffers(device, &alloc, &commands),
                     "allocating a command buffer"))
    return e;
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(commands, &begin);
  record(commands);
  vkEndCommandBuffer(commands);
  llvm::Error e = submitAndWait(commands);
  vkFreeCommandBuffers(device, pool, 1, &commands);
  return e;
}
