#!/usr/bin/env python3
"""Lists the OpenCL platforms and GPU devices the ICD loader (libOpenCL.so.1) finds, through ctypes.

Run by scripts/device/run-openmm-gpu.sh before OpenMM, so a missing or refusing NVIDIA OpenCL
driver shows as an OpenCL error code here rather than as a missing OpenMM platform later.
Error codes: -1001 CL_PLATFORM_NOT_FOUND_KHR (no ICD found or none loaded), -1 CL_DEVICE_NOT_FOUND.
"""
import ctypes
import sys

CL_PLATFORM_NAME, CL_PLATFORM_VERSION = 0x0902, 0x0901
CL_DEVICE_TYPE_ALL = 0xFFFFFFFF
CL_DEVICE_NAME, CL_DEVICE_VERSION, CL_DRIVER_VERSION = 0x102B, 0x102F, 0x102D
CL_DEVICE_GLOBAL_MEM_SIZE, CL_DEVICE_MAX_COMPUTE_UNITS = 0x101F, 0x1002


def text(getter, handle, key):
    size = ctypes.c_size_t()
    getter(handle, key, 0, None, ctypes.byref(size))
    buffer = ctypes.create_string_buffer(size.value)
    getter(handle, key, size.value, buffer, None)
    return buffer.value.decode(errors="replace")


def main():
    cl = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "libOpenCL.so.1")
    count = ctypes.c_uint32()
    status = cl.clGetPlatformIDs(0, None, ctypes.byref(count))
    print(f"clGetPlatformIDs: status {status}, {count.value} platform(s)")
    if status != 0 or count.value == 0:
        return 1
    platforms = (ctypes.c_void_p * count.value)()
    cl.clGetPlatformIDs(count.value, platforms, None)
    found = 0
    for index, platform in enumerate(platforms):
        print(f"platform {index}: {text(cl.clGetPlatformInfo, platform, CL_PLATFORM_NAME)} | {text(cl.clGetPlatformInfo, platform, CL_PLATFORM_VERSION)}")
        ndev = ctypes.c_uint32()
        status = cl.clGetDeviceIDs(platform, ctypes.c_uint64(CL_DEVICE_TYPE_ALL), 0, None, ctypes.byref(ndev))
        print(f"  clGetDeviceIDs: status {status}, {ndev.value} device(s)")
        if status != 0:
            continue
        devices = (ctypes.c_void_p * ndev.value)()
        cl.clGetDeviceIDs(platform, ctypes.c_uint64(CL_DEVICE_TYPE_ALL), ndev.value, devices, None)
        for device in devices:
            memory = ctypes.c_uint64()
            units = ctypes.c_uint32()
            cl.clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, 8, ctypes.byref(memory), None)
            cl.clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, 4, ctypes.byref(units), None)
            print(f"  device: {text(cl.clGetDeviceInfo, device, CL_DEVICE_NAME)} | {text(cl.clGetDeviceInfo, device, CL_DEVICE_VERSION)}"
                  f" | driver {text(cl.clGetDeviceInfo, device, CL_DRIVER_VERSION)} | {memory.value / 2**30:.1f} GiB | {units.value} compute units")
            found += 1
    return 0 if found > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
