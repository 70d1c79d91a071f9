/**
 * A minimal writer of Chakra execution traces (ET), the workload format ASTRA-sim 2.x reads.
 *
 * Schema: extern/graph_frontend/chakra/schema/protobuf/et_def.proto (astra-sim/chakra@214f2c55,
 * the submodule pinned by astra-sim@4f387bcd). A file is a varint-length-prefixed GlobalMetadata
 * message followed by varint-length-prefixed Node messages (chakra's protolib.encodeMessage).
 *
 * Only the proto3 fields that a collective, send/recv or compute node of this artifact needs are
 * written (Node: id, name, type, data_deps, duration_micros, attr; AttributeProto: int32, int64, bool,
 * bool_list, string values), in field
 * order with proto3's rules (scalars equal to their default are omitted, except oneof members,
 * which are always written). For the collective case the output is byte-identical to ASTRA-sim's
 * own generator (examples/workload/microbenchmarks/generator_scripts/all_reduce.py, which uses the
 * official Python protobuf classes); test/tools/astra-sim.test.ts checks this against two of its
 * committed ET files.
 */

// Field numbers from et_def.proto.
const GLOBAL_METADATA_VERSION = 1;
const NODE_ID = 1;
const NODE_NAME = 2;
const NODE_TYPE = 3;
const NODE_DATA_DEPS = 5;
const NODE_DURATION_MICROS = 7;
const NODE_ATTR = 10;
const ATTR_NAME = 1;
const ATTR_INT32_VAL = 7;
const ATTR_INT64_VAL = 9;
const ATTR_BOOL_VAL = 27;
const ATTR_BOOL_LIST = 28;
const ATTR_STRING_VAL = 29;
/** BoolList.values (et_def.proto: message BoolList { repeated bool values = 1; }), packed. */
const LIST_VALUES = 1;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** NodeType values (et_def.proto). */
export const NodeType = { COMP_NODE: 4, COMM_SEND_NODE: 5, COMM_RECV_NODE: 6, COMM_COLL_NODE: 7 } as const;
/** CollectiveCommType values (et_def.proto). */
export const CollectiveCommType = { ALL_REDUCE: 0, ALL_GATHER: 2, REDUCE_SCATTER: 7 } as const;

export type Attr =
  | { name: string; bool: boolean }
  | { name: string; int64: number }
  | { name: string; int32: number }
  | { name: string; boolList: boolean[] }
  | { name: string; string: string };

export interface EtNode {
  id: number;
  name: string;
  type: number;
  /** Node.data_deps (field 5, packed repeated uint64): ids of nodes of the same ET this one waits for. */
  dataDeps?: number[];
  /**
   * Node.duration_micros (field 7, uint64). ASTRA-sim reads it as the run time of a compute node, in
   * whole microseconds (see training-et.ts, COMPUTE_TIME_UNIT_NOTE).
   */
  durationMicros?: number;
  attrs: Attr[];
}

function varint(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`varint: expected a non-negative safe integer, got ${n}`);
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const lenField = (field: number, bytes: number[]) => [...key(field, WIRE_LEN), ...varint(bytes.length), ...bytes];
const strField = (field: number, s: string) => lenField(field, [...Buffer.from(s, "utf8")]);
/** A plain proto3 scalar: omitted when 0. */
const scalar = (field: number, v: number) => (v === 0 ? [] : [...key(field, WIRE_VARINT), ...varint(v)]);
/** A oneof member: always written, even when 0/false. */
const oneofVarint = (field: number, v: number) => [...key(field, WIRE_VARINT), ...varint(v)];

function encodeAttr(a: Attr): number[] {
  const name = strField(ATTR_NAME, a.name);
  if ("bool" in a) return [...name, ...oneofVarint(ATTR_BOOL_VAL, a.bool ? 1 : 0)];
  if ("int64" in a) return [...name, ...oneofVarint(ATTR_INT64_VAL, a.int64)];
  if ("int32" in a) return [...name, ...oneofVarint(ATTR_INT32_VAL, a.int32)];
  if ("boolList" in a) {
    // A oneof message member is written even when its list is empty; the list itself is packed.
    const packed = a.boolList.length === 0 ? [] : lenField(LIST_VALUES, a.boolList.map((b) => (b ? 1 : 0)));
    return [...name, ...lenField(ATTR_BOOL_LIST, packed)];
  }
  return [...name, ...strField(ATTR_STRING_VAL, a.string)];
}

function encodeNode(n: EtNode): number[] {
  const out = [...scalar(NODE_ID, n.id)];
  if (n.name !== "") out.push(...strField(NODE_NAME, n.name));
  out.push(...scalar(NODE_TYPE, n.type));
  if (n.dataDeps && n.dataDeps.length > 0) out.push(...lenField(NODE_DATA_DEPS, n.dataDeps.flatMap(varint)));
  if (n.durationMicros !== undefined) out.push(...scalar(NODE_DURATION_MICROS, n.durationMicros));
  for (const a of n.attrs) out.push(...lenField(NODE_ATTR, encodeAttr(a)));
  return out;
}

/** One ET file: GlobalMetadata{version} then the nodes, each prefixed by its varint length. */
export function encodeEt(nodes: EtNode[], version = "0.0.4"): Buffer {
  return Buffer.concat([etHeader(version), ...nodes.map(encodeNodeFramed)]);
}

/** The GlobalMetadata message of an ET file, length-prefixed. */
export function etHeader(version = "0.0.4"): Buffer {
  const meta = strField(GLOBAL_METADATA_VERSION, version);
  return Buffer.from([...varint(meta.length), ...meta]);
}

/** One Node message, length-prefixed (an ET file is etHeader() followed by these). */
export function encodeNodeFramed(n: EtNode): Buffer {
  const body = encodeNode(n);
  return Buffer.from([...varint(body.length), ...body]);
}

/**
 * The ET of one rank for a single collective, exactly as ASTRA-sim's microbenchmark generator
 * writes it (node id = rank, is_cpu_op false, comm_type, comm_size in bytes).
 */
export function collectiveEt(rank: number, commType: number, bytes: number, name: string): Buffer {
  return encodeEt([
    {
      id: rank,
      name,
      type: NodeType.COMM_COLL_NODE,
      attrs: [
        { name: "is_cpu_op", bool: false },
        { name: "comm_type", int64: commType },
        { name: "comm_size", int64: bytes },
      ],
    },
  ]);
}

/** The ET of one rank of a point-to-point transfer src -> dst (send on src, matching recv on dst). */
export function sendRecvEt(rank: number, src: number, dst: number, bytes: number, name: string): Buffer {
  return encodeEt([
    {
      id: rank,
      name,
      type: rank === src ? NodeType.COMM_SEND_NODE : NodeType.COMM_RECV_NODE,
      attrs: [
        { name: "is_cpu_op", bool: false },
        { name: "comm_src", int32: src },
        { name: "comm_dst", int32: dst },
        { name: "comm_tag", int32: 0 },
        { name: "comm_size", int64: bytes },
      ],
    },
  ]);
}
