#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the seed inputs of the ioctl fuzz target (corpus/ioctl/seed-*):
# realistic call sequences a fuzzer can mutate from.  Format: fuzz_ioctl.c.
import os
import struct

REQ = ['GET_API_VERSION', 'CHECK_EXTENSION', 'SET_IOMMU', 'IOMMU_GET_INFO', 'MAP_DMA',
       'UNMAP_DMA', 'DIRTY_PAGES', 'GROUP_GET_STATUS', 'GROUP_SET_CONTAINER',
       'GROUP_UNSET_CONTAINER', 'GROUP_GET_DEVICE_FD', 'DEVICE_GET_INFO',
       'DEVICE_GET_REGION_INFO', 'DEVICE_GET_IRQ_INFO', 'DEVICE_SET_IRQS', 'DEVICE_RESET',
       'DEVICE_FEATURE', 'BIND_IOMMUFD', 'ATTACH_PT', 'DETACH_PT', 'PRECOPY_INFO',
       'DESTROY', 'IOAS_ALLOC', 'ALLOW_IOVAS', 'IOAS_COPY', 'IOVA_RANGES', 'IOAS_MAP',
       'IOAS_UNMAP', 'OPTION', 'VFIO_IOAS', 'HWPT_ALLOC', 'GET_HW_INFO', 'SET_DIRTY',
       'GET_DIRTY', 'HWPT_INVALIDATE', 'MAP_FILE', 'CHANGE_PROCESS', 'TEST_CMD']
R = {n: i for i, n in enumerate(REQ)}
# fds the target opens first, in order
CONT, G42, IOMMU, CDEV0, G43, CDEV1 = range(6)
FD = lambda i: 0xfdfdfd00 | i


def op(fd, req, payload=b'', mask=0):
    return struct.pack('<BBHH', fd, R[req], mask, len(payload)) + payload


def u32(*v):
    return struct.pack('<%dI' % len(v), *v)


def u64(*v):
    return struct.pack('<%dQ' % len(v), *v)


seeds = {
    'type1': [
        op(G42, 'GROUP_SET_CONTAINER', u32(FD(CONT))),
        op(CONT, 'SET_IOMMU', u64(3)),
        op(CONT, 'IOMMU_GET_INFO', u32(256, 0) + u64(0) + u32(0, 0)),
        # argsz flags | vaddr (slot 1: pointer) | iova | size
        op(CONT, 'MAP_DMA', u32(32, 3) + u64(0x1000, 0x100000, 0x2000), mask=1 << 1),
        op(CONT, 'DIRTY_PAGES', u32(8, 1)),
        # argsz flags | iova size pgsize bitmap-size data(slot 5: pointer)
        op(CONT, 'DIRTY_PAGES', u32(40, 4) + u64(0x100000, 0x2000, 0x1000, 8, 0x8000),
           mask=1 << 5),
        op(CONT, 'UNMAP_DMA', u32(24, 0) + u64(0x100000, 0x2000)),
        op(G42, 'GROUP_GET_DEVICE_FD', b'0000:01:00.0\0'),
    ],
    'iommufd': [
        op(CDEV0, 'BIND_IOMMUFD', u32(16, 0, FD(IOMMU), 0)),
        op(IOMMU, 'IOAS_ALLOC', u32(12, 0, 0)),
        op(CDEV0, 'ATTACH_PT', u32(12, 0, 1)),
        # size flags ioas reserved | user_va(slot 2) length iova
        op(IOMMU, 'IOAS_MAP', u32(40, 7, 1, 0) + u64(0x2000, 0x4000, 0x200000), mask=1 << 2),
        op(IOMMU, 'IOVA_RANGES', u32(32, 1, 4, 0) + u64(0x100, 0), mask=1 << 2),
        op(IOMMU, 'GET_HW_INFO', u32(32, 0, 1, 16) + u64(0x300) + u32(0, 0) + u64(0),
           mask=1 << 2),
        op(IOMMU, 'HWPT_ALLOC', u32(44, 2, 1, 1, 0, 0, 0, 0) + u64(0) + u32(0, 0)),
        op(IOMMU, 'SET_DIRTY', u32(16, 1, 3, 0)),
        op(IOMMU, 'GET_DIRTY', u32(48, 3, 0, 0) + u64(0x200000, 0x4000, 0x1000, 0x500),
           mask=1 << 5),
        op(IOMMU, 'IOAS_UNMAP', u32(24, 1) + u64(0x200000, 0x4000)),
        op(IOMMU, 'CHANGE_PROCESS', u32(8, 0)),
    ],
    'migration': [
        op(G42, 'GROUP_SET_CONTAINER', u32(FD(CONT))),
        op(CONT, 'SET_IOMMU', u64(3)),
        op(G42, 'GROUP_GET_DEVICE_FD', b'0000:01:00.0\0'),
        # fd 6 is the device: PROBE v2, SET v2, RUNNING -> PRE_COPY (fd 7)
        op(6, 'DEVICE_FEATURE', u32(8, 0x30000 | 12)),
        op(6, 'DEVICE_FEATURE', u32(8, 0x20000 | 12)),
        op(6, 'DEVICE_FEATURE', u32(16, 0x20000 | 2, 6, 0)),
        op(7, 'PRECOPY_INFO', u32(24, 0) + u64(0, 0)),
        op(6, 'DEVICE_FEATURE', u32(16, 0x20000 | 2, 3, 0)),
        op(6, 'DEVICE_FEATURE', u32(16, 0x10000 | 9) + u64(0)),
        # DMA logging with its ranges behind a pointer (slot 3)
        op(6, 'DEVICE_FEATURE', u32(32, 0x20000 | 6) + u64(0x1000, 2, 0x40), mask=1 << 3),
        op(6, 'DEVICE_SET_IRQS', u32(24, 0x24, 2, 0, 1, FD(IOMMU))),
    ],
    'selftest': [
        op(IOMMU, 'IOAS_ALLOC', u32(12, 0, 0)),
        # size op id reserved | union: mock_domain
        op(IOMMU, 'TEST_CMD', u32(72, 2, 1, 0) + bytes(56)),
        op(IOMMU, 'IOAS_MAP', u32(40, 7, 1, 0) + u64(0x2000, 0x4000, 0x1000000), mask=1 << 2),
        op(IOMMU, 'TEST_CMD', u32(72, 4, 0, 0) + u64(0x4000, 0x2000) + u32(1) + bytes(36),
           mask=1 << 3),
        op(IOMMU, 'TEST_CMD', u32(72, 5, 1, 0) + u32(0, 1) + bytes(48)),
        op(IOMMU, 'IOAS_COPY', u32(40, 3, 1, 1) + u64(0x4000, 0x1000000, 0x3000000)),
    ],
    # regression: IOVA_RANGES of an IOAS with no reservation at all
    # (a NULL reservation list was handed to memcpy)
    'regress-empty-reserved': [
        op(IOMMU, 'IOAS_ALLOC', u32(12, 0, 0)),
        op(IOMMU, 'IOVA_RANGES', u32(32, 1, 4, 0) + u64(0x100, 0), mask=1 << 2),
        op(IOMMU, 'IOAS_MAP', u32(40, 3, 1, 0) + u64(0x2000, 0x4000, 0), mask=1 << 2),
    ],
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'ioctl')
os.makedirs(out, exist_ok=True)
for name, ops in seeds.items():
    fname = name if name.startswith('regress-') else 'seed-' + name
    with open(os.path.join(out, fname), 'wb') as f:
        f.write(b''.join(ops))

