// Decoding TensorFlow's protobuf messages: binary (saved_model.pb, frozen .pb) and protobuf JSON (TF.js model.json's
// modelTopology) go through the same schema and come out as the same plain objects, so everything downstream reads
// one shape whichever file the graph came from.

import protobuf from 'protobufjs';
import { ModelFormatError } from '../../../errors.js';
import { GRAPH_PROTO } from './graph-proto.js';
import { SAVED_MODEL_PROTO } from './saved-model-proto.js';

// ------------------------------------------------------------------------------------------- decoded shapes

/** A DataType enum value name, e.g. 'DT_FLOAT'. */
export type TfDataType = string;

export interface TensorShapeProto {
  dim?: { size?: number; name?: string }[];
  unknownRank?: boolean;
}

export interface TensorProto {
  dtype?: TfDataType;
  tensorShape?: TensorShapeProto;
  tensorContent?: Uint8Array;
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  stringVal?: Uint8Array[];
  int64Val?: number[];
  boolVal?: boolean[];
  halfVal?: number[];
  uint32Val?: number[];
  uint64Val?: number[];
}

export interface NameAttrList {
  name?: string;
  attr?: Record<string, AttrValue>;
}

export interface AttrValue {
  s?: Uint8Array;
  i?: number;
  f?: number;
  b?: boolean;
  type?: TfDataType;
  shape?: TensorShapeProto;
  tensor?: TensorProto;
  func?: NameAttrList;
  placeholder?: string;
  list?: {
    s?: Uint8Array[];
    i?: number[];
    f?: number[];
    b?: boolean[];
    type?: TfDataType[];
    shape?: TensorShapeProto[];
    tensor?: TensorProto[];
    func?: NameAttrList[];
  };
}

export interface NodeDef {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, AttrValue>;
}

export interface ArgDef {
  name?: string;
  type?: TfDataType;
  typeAttr?: string;
  numberAttr?: string;
  typeListAttr?: string;
  isRef?: boolean;
}

export interface FunctionDef {
  signature?: { name?: string; inputArg?: ArgDef[]; outputArg?: ArgDef[]; controlOutput?: string[] };
  attr?: Record<string, AttrValue>;
  nodeDef?: NodeDef[];
  ret?: Record<string, string>;
  controlRet?: Record<string, string>;
}

export interface GraphDef {
  node?: NodeDef[];
  versions?: { producer?: number; minConsumer?: number };
  library?: { function?: FunctionDef[] };
}

export interface TensorInfo {
  name?: string;
  dtype?: TfDataType;
  tensorShape?: TensorShapeProto;
}

export interface SignatureDef {
  inputs?: Record<string, TensorInfo>;
  outputs?: Record<string, TensorInfo>;
  methodName?: string;
}

export interface MetaGraphDef {
  metaInfoDef?: { metaGraphVersion?: string; tags?: string[]; tensorflowVersion?: string; tensorflowGitVersion?: string };
  graphDef?: GraphDef;
  signatureDef?: Record<string, SignatureDef>;
  objectGraphDef?: SavedObjectGraph;
}

export interface SavedModel {
  savedModelSchemaVersion?: number;
  metaGraphs?: MetaGraphDef[];
}

export interface ObjectReference {
  nodeId?: number;
  localName?: string;
}

export interface SlotVariableReference {
  originalVariableNodeId?: number;
  slotName?: string;
  slotVariableNodeId?: number;
}

export interface SavedUserObject {
  identifier?: string;
  version?: { producer?: number; minConsumer?: number };
  metadata?: string;
}

export interface SavedVariable {
  dtype?: TfDataType;
  shape?: TensorShapeProto;
  trainable?: boolean;
  name?: string;
}

/** One object of a TF2 SavedModel; exactly one of the kinds is set. */
export interface SavedObject {
  children?: ObjectReference[];
  slotVariables?: SlotVariableReference[];
  userObject?: SavedUserObject;
  asset?: { assetFileDefIndex?: number };
  function?: { concreteFunctions?: string[] };
  variable?: SavedVariable;
  bareConcreteFunction?: { concreteFunctionName?: string; argumentKeywords?: string[]; allowedPositionalArguments?: number };
  constant?: { operation?: string };
  resource?: { device?: string };
}

export interface SavedConcreteFunction {
  /** Object ids (variables, resources, assets) appended to the caller's inputs, in order. */
  boundInputs?: number[];
}

export interface SavedObjectGraph {
  nodes?: SavedObject[];
  concreteFunctions?: Record<string, SavedConcreteFunction>;
}

export interface TrackableObject {
  children?: ObjectReference[];
  attributes?: { name?: string; fullName?: string; checkpointKey?: string }[];
  slotVariables?: SlotVariableReference[];
}

/** The checkpoint's object graph: node ids match the SavedObjectGraph's. */
export interface TrackableObjectGraph {
  nodes?: TrackableObject[];
}

export interface BundleHeaderProto {
  numShards?: number;
  endianness?: 'LITTLE' | 'BIG' | number;
  version?: { producer?: number; minConsumer?: number };
}

export interface BundleEntryProto {
  dtype?: TfDataType;
  shape?: TensorShapeProto;
  shardId?: number;
  offset?: number;
  size?: number;
  /** Masked CRC32C of the tensor's bytes. */
  crc32c?: number;
  slices?: { extent?: { start?: number; length?: number }[] }[];
}

/** keras_metadata.pb: one node per Keras object of the object graph. */
export interface KerasSavedMetadata {
  nodes?: { nodeId?: number; nodePath?: string; identifier?: string; metadata?: string }[];
}

// ------------------------------------------------------------------------------------------------ schema

/** Every schema file of ours, all in package tensorflow; parsed once, on first use. */
const SCHEMAS: readonly string[] = [GRAPH_PROTO, SAVED_MODEL_PROTO];
let root: protobuf.Root | null = null;

function schema(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    for (const s of SCHEMAS) protobuf.parse(s, root);
  }
  return root;
}

/** How decoded messages are turned into plain objects: int64 as numbers, enums by name, bytes as Uint8Array. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: false };

/** Decodes binary protobuf bytes as `tensorflow.<typeName>`; malformed bytes are a ModelFormatError naming `label`. */
export function decodeMessage<T>(typeName: string, bytes: Uint8Array, label: string): T {
  const type = schema().lookupType(`tensorflow.${typeName}`);
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(`${label}: not a valid ${typeName} protobuf (${(e as Error).message.split('\n')[0]})`);
  }
  return normaliseBytes(type.toObject(message, TO_OBJECT)) as T;
}

/** Reads protobuf JSON (lowerCamelCase names, int64 as strings, bytes as base64) as `tensorflow.<typeName>`. */
export function messageFromJson<T>(typeName: string, json: unknown, label: string): T {
  const type = schema().lookupType(`tensorflow.${typeName}`);
  let message: protobuf.Message;
  try {
    message = type.fromObject(json as Record<string, unknown>);
  } catch (e) {
    throw new ModelFormatError(`${label}: not a valid ${typeName} in protobuf JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return normaliseBytes(type.toObject(message, TO_OBJECT)) as T;
}

/** Encodes a plain object (as decoded above) back to binary protobuf, e.g. for tests and round trips. */
export function encodeMessage(typeName: string, value: unknown): Uint8Array {
  const type = schema().lookupType(`tensorflow.${typeName}`);
  const b = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
  // A plain Uint8Array view (Node's protobufjs writes Buffers, whose slice() does not copy).
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Node's protobufjs returns Buffers for bytes fields; give every platform plain Uint8Arrays. */
function normaliseBytes(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = normaliseBytes(v[i]);
    return v;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = normaliseBytes(o[k]);
  }
  return v;
}

export const decodeGraphDef = (bytes: Uint8Array, label: string): GraphDef => decodeMessage<GraphDef>('GraphDef', bytes, label);
export const decodeSavedModel = (bytes: Uint8Array, label: string): SavedModel => decodeMessage<SavedModel>('SavedModel', bytes, label);
export const graphDefFromJson = (json: unknown, label: string): GraphDef => messageFromJson<GraphDef>('GraphDef', json, label);

/** An attribute's string value (attr `s` is bytes holding UTF-8). */
export function attrString(v: AttrValue | undefined): string | undefined {
  return v?.s === undefined ? undefined : new TextDecoder().decode(v.s);
}
