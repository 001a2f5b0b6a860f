/**
 * JSON Schema of configs/machines/*.yaml. Structure and types only; the combinations
 * QEMU and the kernel refuse (label below 128K, unaligned sizes, maxmem too small, ...)
 * are checked in profile-rules.ts, which can name the fix.
 */
import { SIZE_PATTERN } from './sizes.ts';

const size = {
  type: ['integer', 'string'],
  minimum: 0,
  pattern: SIZE_PATTERN,
  description: 'bytes: an integer, 0x hex, or a number with K/M/G/T (powers of 1024)',
} as const;

export const PROFILE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'zdh machine profile',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    description: { type: 'string' },
    cpus: { type: 'integer', minimum: 1, maximum: 64 },
    memory: size,
    maxmem: size,
    slots: { type: 'integer', minimum: 0, maximum: 256 },
    firmware: { enum: ['qboot', 'seabios'] },
    nvdimms: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['size'],
        properties: {
          size: { ...size, description: 'usable data size; the backing file is size + label' },
          label: { ...size, description: 'label area at the end of the backing file (QEMU minimum 128K)' },
          align: size,
          node: {
            type: 'integer',
            minimum: 0,
            maximum: 127,
            description:
              'NUMA node (proximity domain) of the NVDIMM; an id past the numa: nodes is a node of its own, without CPUs or RAM',
          },
        },
      },
    },
    numa: {
      type: 'array',
      minItems: 1,
      description: 'NUMA nodes with RAM, node 0 first; their cpus add up to cpus:, their memory to memory:',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cpus', 'memory'],
        properties: {
          cpus: {
            type: 'integer',
            minimum: 0,
            maximum: 64,
            description: 'how many vCPUs (0: a node without CPUs)',
          },
          memory: { ...size, description: "the node's RAM, a multiple of 128M" },
        },
      },
    },
    legacyPmem: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'size'],
        properties: { start: size, size },
      },
    },
    spm: {
      type: 'object',
      additionalProperties: false,
      required: ['start'],
      properties: { start: size, size },
    },
    cmdline: { type: 'array', items: { type: 'string', pattern: '^\\S+$' } },
    guest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hugepages: { type: 'integer', minimum: 0 },
        hungTaskTimeoutS: { type: 'integer', minimum: 0 },
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bannerS: { type: 'number', exclusiveMinimum: 0 },
        kvmBannerS: { type: 'number', exclusiveMinimum: 0 },
        initS: { type: 'number', exclusiveMinimum: 0 },
        oopsQuietS: { type: 'number', exclusiveMinimum: 0 },
        blockedS: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
} as const;

/** The profile as written (sizes not yet parsed). */
export interface RawProfile {
  name?: string;
  description?: string;
  cpus?: number;
  memory?: string | number;
  maxmem?: string | number;
  slots?: number;
  firmware?: 'qboot' | 'seabios';
  nvdimms?: { size: string | number; label?: string | number; align?: string | number; node?: number }[];
  numa?: { cpus: number; memory: string | number }[];
  legacyPmem?: { start: string | number; size: string | number }[];
  spm?: { start: string | number; size?: string | number };
  cmdline?: string[];
  guest?: { hugepages?: number; hungTaskTimeoutS?: number };
  timeouts?: {
    bannerS?: number;
    kvmBannerS?: number;
    initS?: number;
    oopsQuietS?: number;
    blockedS?: number;
  };
}
