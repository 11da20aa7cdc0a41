//===- VulkanEngine.cpp - Host functions as recorded command buffers ------===//
//
// A host function from the GPU pipeline is interpreted once, when the
// engine is created: each argument and allocation gets a device buffer
// (views share their source's), each global a buffer filled once, each
// gpu.launch_func a dispatch of its kernel's pipeline with a descriptor set
// of its buffers. The first call records the command buffer (uploads,
// dispatches with a barrier after each, downloads); every call then only
// copies the tensors into and out of the mapped staging buffer around one
// submit and one fence wait.
//
// Resident tensors (Engine::setResident: the trainer's parameters and
// optimizer state) have device buffers of their own, bound in place of the
// program's; they cross to the host only when it asks (syncToHost) or has
// written them (hostChanged). Each choice of bound buffers has its own
// descriptor sets and command buffer (a Variant), recorded once: the
// training step's ping-pong between two sets of parameters is two.
//
//===----------------------------------------------------------------------===//
#include "VulkanDevice.h"
#include "nabla/ir/Locations.h"
#include "nabla/support/Error.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Target/SPIRV/Serialization.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <map>
#include <cstring>

using namespace mlir;
using namespace nabla;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return makeError("error: " + message);
}

/// Bytes of a static, contiguous memref (Vulkan buffers are at least 4).
llvm::Expected<VkDeviceSize> memrefBytes(Type type, Location loc) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape() || !memref.getLayout().isIdentity())
    return fail(llvm::formatv("{0}: the Vulkan runtime needs static, "
                              "contiguous buffers",
                              describeLoc(loc)));
  // Booleans take a byte each, as on the host and in the kernels (the
  // SPIR-V conversion stores i1 as i8).
  unsigned bits = std::max(8u, memref.getElementTypeBitWidth());
  if (bits % 8 != 0)
    return fail("the Vulkan runtime cannot store " +
                llvm::Twine(bits) + "-bit elements in a buffer");
  VkDeviceSize bytes = memref.getNumElements() * (bits / 8);
  return std::max<VkDeviceSize>(4, (bytes + 3) / 4 * 4);
}

struct Kernel {
  VkShaderModule shader = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  unsigned bindings = 0;
};

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  unsigned memory = 0;           // which of the program's allocations
  VkDeviceSize offset = 0;       // in it
  std::vector<uint8_t> initial;  // a global's value, uploaded once
  std::string origin;            // "f32[64, 128] at digits.nb:8:16"
};

struct Dispatch {
  const Kernel *kernel = nullptr;
  std::vector<unsigned> buffers;
  uint32_t groups[3] = {1, 1, 1};
  std::string name;
};

/// The descriptor sets and commands of a program for one choice of the
/// buffers its arguments live in: its own (uploaded and downloaded around
/// the dispatches) or resident tensors' (read and written in place). The
/// training step alternates between two such choices (ping-pong).
struct Variant {
  VkDescriptorPool pool = VK_NULL_HANDLE;
  std::vector<VkDescriptorSet> sets; // one per dispatch
  VkCommandBuffer commands = VK_NULL_HANDLE;
};

/// A resident tensor's device copy, and which copy is current.
struct Mirror {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  bool hostCurrent = true, deviceCurrent = false;
};

/// One host function, ready to run.
struct Program {
  std::string name;
  std::vector<Buffer> buffers;
  std::vector<unsigned> argBuffers; // inputs, then results (out-parameters)
  std::vector<Dispatch> dispatches;
  std::vector<VkDeviceMemory> memories; // device-local, as few as the
                                        // device's allocation limit allows
  VkBuffer staging = VK_NULL_HANDLE;
  VkDeviceMemory stagingMemory = VK_NULL_HANDLE;
  uint8_t *mapped = nullptr;
  std::vector<VkDeviceSize> stagingOffsets; // per argument
  VkQueryPool queries = VK_NULL_HANDLE;
  size_t numInputs = SIZE_MAX; // how many arguments the variants upload
  /// By the resident buffer of each argument (null: the program's own).
  std::map<std::vector<VkBuffer>, Variant> variants;
};

} // namespace

struct VulkanEngine::Impl {
  std::unique_ptr<vk::Device> device;
  VkPipelineCache pipelineCache = VK_NULL_HANDLE;
  llvm::StringMap<std::unique_ptr<Kernel>> kernels; // by gpu.module name
  llvm::StringMap<std::unique_ptr<Program>> programs;
  bool profile = false;
  std::vector<DispatchTime> lastProfile;
  llvm::DenseMap<const Tensor *, Mirror> mirrors; // resident tensors
  VulkanEngine::TransferStats transfers;

  ~Impl();
  llvm::Expected<const Kernel *> getKernel(ModuleOp module,
                                           gpu::LaunchFuncOp launch);
  llvm::Expected<std::unique_ptr<Program>> build(func::FuncOp func);
  llvm::Error createBuffer(VkDeviceSize size, VkBuffer &buffer);
  llvm::Error allocateMemory(VkDeviceSize size, uint32_t typeBits,
                             VkMemoryPropertyFlags flags,
                             const llvm::Twine &what, StringRef owner,
                             VkDeviceMemory &memory);
  llvm::Error allocate(Program &program);
  llvm::Error createQueries(Program &program);
  llvm::Expected<Variant *> getVariant(Program &program,
                                       const std::vector<VkBuffer> &slots,
                                       size_t numInputs);
  llvm::Error bind(Program &program, Variant &variant,
                   llvm::ArrayRef<VkBuffer> slots);
  llvm::Error record(Program &program, Variant &variant,
                     llvm::ArrayRef<VkBuffer> slots, size_t numInputs);
  llvm::Expected<Mirror *> getMirror(const Tensor *tensor, VkDeviceSize size);
  llvm::Error transfer(Mirror &mirror, Tensor &tensor, bool toDevice);
  void destroy(Variant &variant);
  void destroy(Program &program);
  void destroy(Mirror &mirror);
};

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

llvm::Expected<const Kernel *>
VulkanEngine::Impl::getKernel(ModuleOp module, gpu::LaunchFuncOp launch) {
  StringRef moduleName = launch.getKernelModuleName().getValue();
  StringRef entry = launch.getKernelName().getValue();
  unsigned bindings = launch.getKernelOperands().size();
  auto &slot = kernels[moduleName];
  if (slot)
    return slot.get();

  spirv::ModuleOp spirvModule;
  module.walk([&](spirv::ModuleOp m) {
    if (m.getSymName() == ("__spv__" + moduleName).str())
      spirvModule = m;
  });
  if (!spirvModule)
    return fail("no SPIR-V module for kernel " + moduleName +
                " (was the module lowered with the GPU pipeline?)");
  bool hasEntry = false;
  spirvModule.walk([&](spirv::EntryPointOp e) {
    hasEntry |= e.getFn() == entry;
  });
  if (!hasEntry)
    return fail("SPIR-V module of kernel " + moduleName +
                " has no entry point named " + entry);
  SmallVector<uint32_t> binary;
  if (failed(spirv::serialize(spirvModule, binary)))
    return fail("serializing the SPIR-V of kernel " + moduleName + " failed");
  // NABLA_DUMP_SPIRV=DIR writes each kernel's binary (tests validate them).
  if (const char *dir = std::getenv("NABLA_DUMP_SPIRV")) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, moduleName + ".spv");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail("cannot write " + path + ": " + ec.message());
    os.write(reinterpret_cast<const char *>(binary.data()),
             binary.size() * sizeof(uint32_t));
  }

  auto kernel = std::make_unique<Kernel>();
  kernel->bindings = bindings;
  VkDevice dev = device->get();
  VkShaderModuleCreateInfo shaderInfo{};
  shaderInfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  shaderInfo.codeSize = binary.size() * sizeof(uint32_t);
  shaderInfo.pCode = binary.data();
  if (auto e = vk::check(
          vkCreateShaderModule(dev, &shaderInfo, nullptr, &kernel->shader),
          "creating the shader of kernel " + moduleName))
    return std::move(e);

  std::vector<VkDescriptorSetLayoutBinding> layoutBindings(bindings);
  for (unsigned i = 0; i < bindings; ++i) {
    layoutBindings[i].binding = i;
    layoutBindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    layoutBindings[i].descriptorCount = 1;
    layoutBindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo setInfo{};
  setInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  setInfo.bindingCount = bindings;
  setInfo.pBindings = layoutBindings.data();
  if (auto e = vk::check(
          vkCreateDescriptorSetLayout(dev, &setInfo, nullptr, &kernel->setLayout),
          "creating a descriptor set layout"))
    return std::move(e);
  VkPipelineLayoutCreateInfo layoutInfo{};
  layoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &kernel->setLayout;
  if (auto e = vk::check(
          vkCreatePipelineLayout(dev, &layoutInfo, nullptr, &kernel->layout),
          "creating a pipeline layout"))
    return std::move(e);
  std::string entryName = entry.str();
  VkComputePipelineCreateInfo pipelineInfo{};
  pipelineInfo.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  pipelineInfo.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  pipelineInfo.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipelineInfo.stage.module = kernel->shader;
  pipelineInfo.stage.pName = entryName.c_str();
  pipelineInfo.layout = kernel->layout;
  if (auto e = vk::check(vkCreateComputePipelines(dev, pipelineCache, 1,
                                                  &pipelineInfo, nullptr,
                                                  &kernel->pipeline),
                         "creating the pipeline of kernel " + moduleName))
    return std::move(e);
  slot = std::move(kernel);
  return slot.get();
}

//===----------------------------------------------------------------------===//
// Programs
//===----------------------------------------------------------------------===//

/// A global's value as bytes (splats expanded).
llvm::Expected<std::vector<uint8_t>> globalBytes(memref::GlobalOp global) {
  auto value = dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
  auto type = global.getType();
  if (value && type.getElementType().isInteger(1)) {
    // One byte per boolean (MLIR packs i1 attributes differently).
    std::vector<uint8_t> bytes;
    for (bool b : value.getValues<bool>())
      bytes.push_back(b);
    bytes.resize(type.getNumElements(), bytes.empty() ? 0 : bytes.back());
    return bytes;
  }
  if (!value || type.getElementTypeBitWidth() % 8 != 0)
    return fail("the Vulkan runtime cannot upload global @" +
                global.getSymName());
  size_t elementBytes = type.getElementTypeBitWidth() / 8;
  ArrayRef<char> raw = value.getRawData();
  std::vector<uint8_t> bytes(type.getNumElements() * elementBytes);
  for (size_t i = 0; i < bytes.size(); i += elementBytes)
    std::memcpy(bytes.data() + i,
                raw.data() + (value.isSplat() ? 0 : i), elementBytes);
  return bytes;
}

llvm::Expected<std::unique_ptr<Program>>
VulkanEngine::Impl::build(func::FuncOp func) {
  auto program = std::make_unique<Program>();
  program->name = func.getSymName().str();
  auto module = func->getParentOfType<ModuleOp>();
  DenseMap<Value, unsigned> bufferOf;
  DenseMap<Value, int64_t> constants;
  auto newBuffer = [&](Value value) -> llvm::Error {
    auto bytes = memrefBytes(value.getType(), value.getLoc());
    if (!bytes)
      return bytes.takeError();
    bufferOf[value] = program->buffers.size();
    Buffer buffer;
    buffer.size = *bytes;
    // As the .nb language writes it: f32[64, 128].
    auto memref = cast<MemRefType>(value.getType());
    std::string type;
    llvm::raw_string_ostream os(type);
    os << memref.getElementType() << "["
       << llvm::join(llvm::map_range(memref.getShape(),
                                     [](int64_t d) { return std::to_string(d); }),
                     ", ")
       << "]";
    std::string where = describeLoc(value.getLoc());
    buffer.origin = type + (where.empty() ? "" : " at " + where);
    uint64_t limit = device->getInfo().maxStorageBufferBytes;
    if (limit && buffer.size > limit)
      return fail(llvm::formatv(
          "a tensor of {0:f1} MiB ({1}) in {2} is larger than the largest "
          "storage buffer of {3} ({4:f1} MiB); use a smaller batch or "
          "--device cpu",
          static_cast<double>(buffer.size) / (1 << 20), buffer.origin,
          program->name, device->getInfo().name,
          static_cast<double>(limit) / (1 << 20)));
    program->buffers.push_back(std::move(buffer));
    return llvm::Error::success();
  };
  for (BlockArgument arg : func.getArguments()) {
    if (auto e = newBuffer(arg))
      return std::move(e);
    program->argBuffers.push_back(bufferOf[arg]);
  }
  for (Operation &op : func.getBody().front()) {
    llvm::Error error = llvm::Error::success();
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (auto value = dyn_cast<IntegerAttr>(constant.getValue()))
        constants[constant] = value.getInt();
    } else if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
      error = newBuffer(op.getResult(0));
    } else if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          get, get.getNameAttr());
      auto bytes = global ? globalBytes(global)
                          : llvm::Expected<std::vector<uint8_t>>(
                                fail("no global @" + get.getName()));
      if (!bytes)
        return bytes.takeError();
      error = newBuffer(get);
      program->buffers.back().initial = std::move(*bytes);
    } else if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp,
                   memref::CastOp, memref::ReshapeOp>(op)) {
      bufferOf[op.getResult(0)] = bufferOf.lookup(op.getOperand(0));
    } else if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      auto kernel = getKernel(module, launch);
      if (!kernel)
        return kernel.takeError();
      Dispatch dispatch;
      dispatch.kernel = *kernel;
      // "<kernel> [<fusion group>] (<file:line:col>)"
      std::string where = describeLoc(launch.getLoc());
      dispatch.name = launch.getKernelModuleName().getValue().str();
      if (auto group = dyn_cast<NameLoc>(launch.getLoc()))
        if (StringRef name = group.getName(); name.consume_front("nabla.group:"))
          dispatch.name += " [" + name.str() + "]";
      if (!where.empty())
        dispatch.name += " (" + where + ")";
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      Value sizes[3] = {grid.x, grid.y, grid.z};
      for (int i = 0; i < 3; ++i) {
        auto it = constants.find(sizes[i]);
        if (it == constants.end())
          return fail("kernel " + dispatch.name + " has a grid size that is "
                      "not a constant");
        dispatch.groups[i] = static_cast<uint32_t>(it->second);
      }
      for (Value operand : launch.getKernelOperands()) {
        auto it = bufferOf.find(operand);
        if (it == bufferOf.end())
          return fail("kernel " + dispatch.name +
                      " takes an operand that is not a buffer");
        dispatch.buffers.push_back(it->second);
      }
      program->dispatches.push_back(std::move(dispatch));
    } else if (!isa<memref::DeallocOp, func::ReturnOp>(op)) {
      return fail(llvm::formatv("{0}: the Vulkan runtime cannot run '{1}' on "
                                "the host",
                                describeLoc(op.getLoc()),
                                op.getName().getStringRef()));
    }
    if (error)
      return std::move(error);
  }
  if (auto e = allocate(*program))
    return std::move(e);
  if (auto e = createQueries(*program))
    return std::move(e);
  return program;
}

llvm::Error VulkanEngine::Impl::createBuffer(VkDeviceSize size,
                                             VkBuffer &buffer) {
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  return vk::check(vkCreateBuffer(device->get(), &info, nullptr, &buffer),
                   "creating a buffer of " + llvm::Twine(size) + " bytes");
}

/// Allocates `size` bytes of memory with `flags` for `what` of `owner`;
/// running out says how much, for what and what the heap holds.
llvm::Error VulkanEngine::Impl::allocateMemory(VkDeviceSize size,
                                               uint32_t typeBits,
                                               VkMemoryPropertyFlags flags,
                                               const llvm::Twine &what,
                                               StringRef owner,
                                               VkDeviceMemory &memory) {
  auto type = device->findMemoryType(typeBits, flags);
  if (!type)
    return fail(llvm::formatv("{0} has no suitable memory for {1}",
                              device->getInfo().name, what.str()));
  double mib = static_cast<double>(size) / (1 << 20);
  auto outOfMemory = [&] {
    return fail(llvm::formatv(
        "out of device memory: allocating {0:f1} MiB for {1} of {2} on {3} "
        "(its heap has {4:f1} MiB); use a smaller batch or --device cpu",
        mib, what.str(), owner, device->getInfo().name,
        static_cast<double>(device->heapSize(*type)) / (1 << 20)));
  };
  if (size > device->heapSize(*type))
    return outOfMemory();
  VkMemoryAllocateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  info.allocationSize = size;
  info.memoryTypeIndex = *type;
  VkResult r = vkAllocateMemory(device->get(), &info, nullptr, &memory);
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
    return outOfMemory();
  return vk::check(r, "allocating memory for " + what);
}

/// Device buffers packed into device-local allocations (one unless the
/// device limits the size of an allocation); a host-visible staging buffer
/// for the arguments and the globals; the globals uploaded.
llvm::Error VulkanEngine::Impl::allocate(Program &program) {
  VkDevice dev = device->get();
  VkDeviceSize limit = device->getInfo().maxAllocationBytes;
  if (!limit)
    limit = ~VkDeviceSize(0);
  struct Chunk {
    VkDeviceSize size = 0;
    uint32_t typeBits = ~0u;
    unsigned buffers = 0;
  };
  std::vector<Chunk> chunks(1);
  for (Buffer &buffer : program.buffers) {
    if (auto e = createBuffer(buffer.size, buffer.buffer))
      return e;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev, buffer.buffer, &req);
    VkDeviceSize at = (chunks.back().size + req.alignment - 1) /
                      req.alignment * req.alignment;
    if (chunks.back().buffers && at + req.size > limit) {
      chunks.emplace_back();
      at = 0;
    }
    Chunk &chunk = chunks.back();
    buffer.memory = chunks.size() - 1;
    buffer.offset = at;
    chunk.size = at + req.size;
    chunk.typeBits &= req.memoryTypeBits;
    ++chunk.buffers;
  }
  for (const Chunk &chunk : chunks) {
    std::string what = llvm::formatv("{0} buffers", chunk.buffers).str();
    if (chunks.size() == 1 && chunk.buffers == 1)
      what = "its buffer (" + program.buffers[0].origin + ")";
    else if (chunks.size() == 1)
      what = "its " + what;
    program.memories.emplace_back();
    if (auto e = allocateMemory(std::max<VkDeviceSize>(chunk.size, 4),
                                chunk.typeBits,
                                VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, what,
                                program.name, program.memories.back()))
      return e;
  }
  for (Buffer &buffer : program.buffers)
    if (auto e = vk::check(vkBindBufferMemory(dev, buffer.buffer,
                                              program.memories[buffer.memory],
                                              buffer.offset),
                           "binding buffer memory"))
      return e;

  // Staging: every argument, then every global's first upload.
  VkDeviceSize staged = 0;
  for (unsigned b : program.argBuffers) {
    program.stagingOffsets.push_back(staged);
    staged += program.buffers[b].size;
  }
  VkDeviceSize globalsAt = staged;
  for (Buffer &buffer : program.buffers)
    staged += buffer.initial.empty() ? 0 : buffer.size;
  if (auto e = createBuffer(std::max<VkDeviceSize>(staged, 4),
                            program.staging))
    return e;
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(dev, program.staging, &req);
  if (auto e = allocateMemory(req.size, req.memoryTypeBits,
                              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                  VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                              "the staging buffer", program.name,
                              program.stagingMemory))
    return e;
  vkBindBufferMemory(dev, program.staging, program.stagingMemory, 0);
  void *mapped = nullptr;
  if (auto e = vk::check(vkMapMemory(dev, program.stagingMemory, 0,
                                     VK_WHOLE_SIZE, 0, &mapped),
                         "mapping the staging buffer"))
    return e;
  program.mapped = static_cast<uint8_t *>(mapped);

  std::vector<std::pair<unsigned, VkBufferCopy>> uploads;
  VkDeviceSize at = globalsAt;
  for (unsigned i = 0; i < program.buffers.size(); ++i) {
    Buffer &buffer = program.buffers[i];
    if (buffer.initial.empty())
      continue;
    std::memcpy(program.mapped + at, buffer.initial.data(),
                buffer.initial.size());
    uploads.push_back({i, VkBufferCopy{at, 0, buffer.initial.size()}});
    at += buffer.size;
  }
  if (uploads.empty())
    return llvm::Error::success();
  return device->runOnce([&](VkCommandBuffer commands) {
    for (auto &[i, region] : uploads)
      vkCmdCopyBuffer(commands, program.staging, program.buffers[i].buffer, 1,
                      &region);
  });
}

/// One descriptor set per dispatch, pointing at its buffers: the
/// program's own, or for argument i, slots[i] where it is not null.
llvm::Error VulkanEngine::Impl::bind(Program &program, Variant &variant,
                                     llvm::ArrayRef<VkBuffer> slots) {
  VkDevice dev = device->get();
  std::vector<VkBuffer> actual;
  for (const Buffer &buffer : program.buffers)
    actual.push_back(buffer.buffer);
  for (auto [slot, b] : llvm::zip(slots, program.argBuffers))
    if (slot)
      actual[b] = slot;
  uint32_t descriptors = 0;
  for (const Dispatch &d : program.dispatches)
    descriptors += d.kernel->bindings;
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                            std::max<uint32_t>(descriptors, 1)};
  VkDescriptorPoolCreateInfo poolInfo{};
  poolInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  poolInfo.maxSets = std::max<uint32_t>(program.dispatches.size(), 1);
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = &size;
  if (auto e = vk::check(
          vkCreateDescriptorPool(dev, &poolInfo, nullptr, &variant.pool),
          "creating a descriptor pool"))
    return e;
  for (Dispatch &d : program.dispatches) {
    VkDescriptorSetAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    alloc.descriptorPool = variant.pool;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &d.kernel->setLayout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    if (auto e = vk::check(vkAllocateDescriptorSets(dev, &alloc, &set),
                           "allocating a descriptor set"))
      return e;
    variant.sets.push_back(set);
    std::vector<VkDescriptorBufferInfo> infos;
    std::vector<VkWriteDescriptorSet> writes(d.buffers.size());
    infos.reserve(d.buffers.size());
    for (unsigned i = 0; i < d.buffers.size(); ++i) {
      infos.push_back({actual[d.buffers[i]], 0, VK_WHOLE_SIZE});
      writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
      writes[i].dstSet = set;
      writes[i].dstBinding = i;
      writes[i].descriptorCount = 1;
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
    vkUpdateDescriptorSets(dev, writes.size(), writes.data(), 0, nullptr);
  }
  return llvm::Error::success();
}

/// With `profile`: a timestamp before the dispatches and after each.
llvm::Error VulkanEngine::Impl::createQueries(Program &program) {
  if (!profile || program.dispatches.empty())
    return llvm::Error::success();
  VkQueryPoolCreateInfo queryInfo{};
  queryInfo.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
  queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
  queryInfo.queryCount = program.dispatches.size() + 1;
  return vk::check(
      vkCreateQueryPool(device->get(), &queryInfo, nullptr, &program.queries),
      "creating a timestamp query pool");
}

namespace {
void barrier(VkCommandBuffer commands, VkPipelineStageFlags from,
             VkAccessFlags fromAccess, VkPipelineStageFlags to,
             VkAccessFlags toAccess) {
  VkMemoryBarrier memory{};
  memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  memory.srcAccessMask = fromAccess;
  memory.dstAccessMask = toAccess;
  vkCmdPipelineBarrier(commands, from, to, 0, 1, &memory, 0, nullptr, 0,
                       nullptr);
}
} // namespace

/// Uploads the first `numInputs` arguments, runs every dispatch (each
/// waits for the writes of the one before), downloads the rest; arguments
/// in resident buffers (slots[i] not null) are neither.
llvm::Error VulkanEngine::Impl::record(Program &program, Variant &variant,
                                       llvm::ArrayRef<VkBuffer> slots,
                                       size_t numInputs) {
  VkCommandBufferAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  alloc.commandPool = device->getCommandPool();
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  if (auto e = vk::check(
          vkAllocateCommandBuffers(device->get(), &alloc, &variant.commands),
          "allocating a command buffer"))
    return e;
  VkCommandBuffer cmd = variant.commands;
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  vkBeginCommandBuffer(cmd, &begin);
  if (program.queries)
    vkCmdResetQueryPool(cmd, program.queries, 0,
                        program.dispatches.size() + 1);
  for (size_t i = 0; i < numInputs; ++i) {
    if (slots[i])
      continue;
    const Buffer &buffer = program.buffers[program.argBuffers[i]];
    VkBufferCopy region{program.stagingOffsets[i], 0, buffer.size};
    vkCmdCopyBuffer(cmd, program.staging, buffer.buffer, 1, &region);
  }
  barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
          VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
          VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  if (program.queries)
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                        program.queries, 0);
  for (size_t i = 0; i < program.dispatches.size(); ++i) {
    const Dispatch &d = program.dispatches[i];
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, d.kernel->pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                            d.kernel->layout, 0, 1, &variant.sets[i], 0,
                            nullptr);
    vkCmdDispatch(cmd, d.groups[0], d.groups[1], d.groups[2]);
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_SHADER_WRITE_BIT,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                VK_ACCESS_TRANSFER_READ_BIT);
    if (program.queries)
      vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                          program.queries, i + 1);
  }
  for (size_t i = numInputs; i < program.argBuffers.size(); ++i) {
    if (slots[i])
      continue;
    const Buffer &buffer = program.buffers[program.argBuffers[i]];
    VkBufferCopy region{0, program.stagingOffsets[i], buffer.size};
    vkCmdCopyBuffer(cmd, buffer.buffer, program.staging, 1, &region);
  }
  barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
          VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  return vk::check(vkEndCommandBuffer(cmd), "recording commands");
}

llvm::Expected<Variant *>
VulkanEngine::Impl::getVariant(Program &program,
                               const std::vector<VkBuffer> &slots,
                               size_t numInputs) {
  if (program.numInputs != numInputs) {
    for (auto &entry : program.variants)
      destroy(entry.second);
    program.variants.clear();
    program.numInputs = numInputs;
  }
  auto [it, added] = program.variants.try_emplace(slots);
  if (!added)
    return &it->second;
  if (auto e = bind(program, it->second, slots))
    return std::move(e);
  if (auto e = record(program, it->second, slots, numInputs))
    return std::move(e);
  return &it->second;
}

//===----------------------------------------------------------------------===//
// Resident tensors
//===----------------------------------------------------------------------===//

llvm::Expected<Mirror *>
VulkanEngine::Impl::getMirror(const Tensor *tensor, VkDeviceSize size) {
  auto it = mirrors.find(tensor);
  if (it == mirrors.end())
    return nullptr;
  Mirror &mirror = it->second;
  if (mirror.buffer && mirror.size == size)
    return &mirror;
  // First use, or the tensor was replaced by one of another size: its
  // host copy is the value.
  destroy(mirror);
  mirror = Mirror();
  mirror.size = size;
  if (auto e = createBuffer(size, mirror.buffer))
    return std::move(e);
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device->get(), mirror.buffer, &req);
  if (auto e = allocateMemory(req.size, req.memoryTypeBits,
                              VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                              "a resident tensor", "the parameters and state",
                              mirror.memory))
    return std::move(e);
  if (auto e = vk::check(vkBindBufferMemory(device->get(), mirror.buffer,
                                            mirror.memory, 0),
                         "binding buffer memory"))
    return std::move(e);
  return &mirror;
}

/// Copies a resident tensor between the host and its device copy through a
/// staging buffer of its own: this happens at initialization, at
/// checkpoints and when the host reads or writes it, not every step.
llvm::Error VulkanEngine::Impl::transfer(Mirror &mirror, Tensor &tensor,
                                         bool toDevice) {
  VkDevice dev = device->get();
  VkBuffer staging = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  llvm::scope_exit cleanup([&] {
    if (staging)
      vkDestroyBuffer(dev, staging, nullptr);
    if (memory)
      vkFreeMemory(dev, memory, nullptr);
  });
  if (auto e = createBuffer(mirror.size, staging))
    return e;
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(dev, staging, &req);
  if (auto e = allocateMemory(req.size, req.memoryTypeBits,
                              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                  VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                              "staging a resident tensor",
                              "the parameters and state", memory))
    return e;
  vkBindBufferMemory(dev, staging, memory, 0);
  void *mapped = nullptr;
  if (auto e = vk::check(vkMapMemory(dev, memory, 0, VK_WHOLE_SIZE, 0, &mapped),
                         "mapping a staging buffer"))
    return e;
  if (toDevice)
    std::memcpy(mapped, tensor.data(), tensor.sizeInBytes());
  VkBufferCopy region{0, 0, mirror.size};
  if (auto e = device->runOnce([&](VkCommandBuffer commands) {
        if (toDevice)
          vkCmdCopyBuffer(commands, staging, mirror.buffer, 1, &region);
        else
          vkCmdCopyBuffer(commands, mirror.buffer, staging, 1, &region);
      }))
    return e;
  if (!toDevice)
    std::memcpy(tensor.data(), mapped, tensor.sizeInBytes());
  (toDevice ? transfers.uploaded : transfers.downloaded) += tensor.sizeInBytes();
  mirror.hostCurrent = mirror.deviceCurrent = true;
  return llvm::Error::success();
}

void VulkanEngine::Impl::destroy(Mirror &mirror) {
  if (mirror.buffer)
    vkDestroyBuffer(device->get(), mirror.buffer, nullptr);
  if (mirror.memory)
    vkFreeMemory(device->get(), mirror.memory, nullptr);
}

void VulkanEngine::Impl::destroy(Variant &variant) {
  VkDevice dev = device->get();
  if (variant.commands)
    vkFreeCommandBuffers(dev, device->getCommandPool(), 1, &variant.commands);
  if (variant.pool)
    vkDestroyDescriptorPool(dev, variant.pool, nullptr);
}

void VulkanEngine::Impl::destroy(Program &program) {
  VkDevice dev = device->get();
  if (program.queries)
    vkDestroyQueryPool(dev, program.queries, nullptr);
  for (auto &entry : program.variants)
    destroy(entry.second);
  for (Buffer &buffer : program.buffers)
    if (buffer.buffer)
      vkDestroyBuffer(dev, buffer.buffer, nullptr);
  if (program.staging)
    vkDestroyBuffer(dev, program.staging, nullptr);
  if (program.stagingMemory)
    vkFreeMemory(dev, program.stagingMemory, nullptr);
  for (VkDeviceMemory memory : program.memories)
    if (memory)
      vkFreeMemory(dev, memory, nullptr);
}

VulkanEngine::Impl::~Impl() {
  if (!device)
    return;
  VkDevice dev = device->get();
  vkDeviceWaitIdle(dev);
  for (auto &entry : programs)
    destroy(*entry.second);
  for (auto &entry : mirrors)
    destroy(entry.second);
  for (auto &entry : kernels) {
    Kernel &k = *entry.second;
    if (k.pipeline)
      vkDestroyPipeline(dev, k.pipeline, nullptr);
    if (k.layout)
      vkDestroyPipelineLayout(dev, k.layout, nullptr);
    if (k.setLayout)
      vkDestroyDescriptorSetLayout(dev, k.setLayout, nullptr);
    if (k.shader)
      vkDestroyShaderModule(dev, k.shader, nullptr);
  }
  if (pipelineCache)
    vkDestroyPipelineCache(dev, pipelineCache, nullptr);
}

//===----------------------------------------------------------------------===//
// VulkanEngine
//===----------------------------------------------------------------------===//

VulkanEngine::VulkanEngine(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
VulkanEngine::~VulkanEngine() = default;

llvm::Expected<std::unique_ptr<VulkanEngine>>
VulkanEngine::create(ModuleOp module, int deviceIndex, bool profile) {
  auto engine = open(deviceIndex, profile);
  if (!engine)
    return engine.takeError();
  if (auto e = (*engine)->load(module))
    return std::move(e);
  return engine;
}

llvm::Expected<std::unique_ptr<VulkanEngine>>
VulkanEngine::open(int deviceIndex, bool profile) {
  auto impl = std::make_unique<Impl>();
  auto device = vk::Device::open(deviceIndex);
  if (!device)
    return device.takeError();
  impl->device = std::move(*device);
  impl->profile = profile;
  if (profile && !impl->device->getInfo().timestamps)
    return fail("--profile needs timestamp queries, which " +
                impl->device->getInfo().name + " does not have");
  VkPipelineCacheCreateInfo cacheInfo{};
  cacheInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  if (auto e = vk::check(vkCreatePipelineCache(impl->device->get(), &cacheInfo,
                                               nullptr, &impl->pipelineCache),
                         "creating a pipeline cache"))
    return std::move(e);
  return std::unique_ptr<VulkanEngine>(new VulkanEngine(std::move(impl)));
}

llvm::Error VulkanEngine::load(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    auto program = impl->build(func);
    if (!program)
      return program.takeError();
    impl->programs[func.getSymName()] = std::move(*program);
  }
  return llvm::Error::success();
}

const VulkanDeviceInfo &VulkanEngine::getDeviceInfo() const {
  return impl->device->getInfo();
}

const VulkanEngine::TransferStats &VulkanEngine::getTransferStats() const {
  return impl->transfers;
}

const std::vector<DispatchTime> &VulkanEngine::getLastProfile() const {
  return impl->lastProfile;
}

llvm::Error VulkanEngine::call(llvm::StringRef function,
                               llvm::ArrayRef<Tensor *> args,
                               llvm::ArrayRef<Tensor *> outputs) {
  auto it = impl->programs.find(function);
  if (it == impl->programs.end())
    return fail("no function '" + function + "' on the Vulkan device");
  Program &program = *it->second;
  if (args.size() + outputs.size() != program.argBuffers.size())
    return fail(llvm::formatv("{0} takes {1} tensors, not {2}", function,
                              program.argBuffers.size(),
                              args.size() + outputs.size()));
  std::vector<Tensor *> all(args.begin(), args.end());
  all.insert(all.end(), outputs.begin(), outputs.end());
  for (size_t i = 0; i < all.size(); ++i) {
    VkDeviceSize capacity = program.buffers[program.argBuffers[i]].size;
    if (all[i]->sizeInBytes() > capacity ||
        (all[i]->sizeInBytes() + 3) / 4 * 4 < capacity)
      return fail(llvm::formatv("{0}: tensor {1} has {2} bytes, its buffer "
                                "{3}",
                                function, i, all[i]->sizeInBytes(), capacity));
  }
  // Resident tensors are used in place, uploaded first if the host
  // changed them; the others go through the staging buffer.
  std::vector<VkBuffer> slots(all.size(), VK_NULL_HANDLE);
  std::vector<Mirror *> resident(all.size(), nullptr);
  for (size_t i = 0; i < all.size(); ++i) {
    VkDeviceSize capacity = program.buffers[program.argBuffers[i]].size;
    auto mirror = impl->getMirror(all[i], capacity);
    if (!mirror)
      return mirror.takeError();
    if (!*mirror)
      continue;
    if (i < args.size() && !(*mirror)->deviceCurrent)
      if (auto e = impl->transfer(**mirror, *all[i], /*toDevice=*/true))
        return e;
    resident[i] = *mirror;
    slots[i] = (*mirror)->buffer;
  }
  auto variant = impl->getVariant(program, slots, args.size());
  if (!variant)
    return variant.takeError();
  for (size_t i = 0; i < args.size(); ++i)
    if (!resident[i]) {
      std::memcpy(program.mapped + program.stagingOffsets[i], args[i]->data(),
                  args[i]->sizeInBytes());
      impl->transfers.uploaded += args[i]->sizeInBytes();
    }
  if (auto e = impl->device->submitAndWait((*variant)->commands))
    return e;
  for (size_t i = args.size(); i < all.size(); ++i) {
    if (resident[i]) {
      resident[i]->deviceCurrent = true;
      resident[i]->hostCurrent = false;
    } else {
      std::memcpy(all[i]->data(), program.mapped + program.stagingOffsets[i],
                  all[i]->sizeInBytes());
      impl->transfers.downloaded += all[i]->sizeInBytes();
    }
  }
  if (!program.queries)
    return llvm::Error::success();
  std::vector<uint64_t> ticks(program.dispatches.size() + 1);
  if (auto e = vk::check(
          vkGetQueryPoolResults(impl->device->get(), program.queries, 0,
                                ticks.size(), ticks.size() * sizeof(uint64_t),
                                ticks.data(), sizeof(uint64_t),
                                VK_QUERY_RESULT_64_BIT |
                                    VK_QUERY_RESULT_WAIT_BIT),
          "reading timestamps"))
    return e;
  impl->lastProfile.clear();
  double period = impl->device->getTimestampPeriod() * 1e-9;
  for (size_t i = 0; i < program.dispatches.size(); ++i)
    impl->lastProfile.push_back(
        {program.dispatches[i].name,
         static_cast<double>(ticks[i + 1] - ticks[i]) * period});
  return llvm::Error::success();
}

void VulkanEngine::setResident(const Tensor *tensor) {
  impl->mirrors.try_emplace(tensor);
}

llvm::Error VulkanEngine::syncToHost(Tensor *tensor) {
  auto it = impl->mirrors.find(tensor);
  if (it == impl->mirrors.end() || it->second.hostCurrent)
    return llvm::Error::success();
  return impl->transfer(it->second, *tensor, /*toDevice=*/false);
}

void VulkanEngine::hostChanged(const Tensor *tensor) {
  auto it = impl->mirrors.find(tensor);
  if (it == impl->mirrors.end())
    return;
  it->second.hostCurrent = true;
  it->second.deviceCurrent = false;
}
