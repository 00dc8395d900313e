// The subset of TensorFlow's protobuf schema that describes a TF2 SavedModel's objects and its variables bundle:
// the SavedObjectGraph (the Python objects behind the model, with their functions and variables), the checkpoint's
// TrackableObjectGraph (the same objects, pointing at checkpoint keys), the tensor bundle's index entries, and
// Keras's SavedMetadata (keras_metadata.pb). Written from the messages' field numbers; fields we never read are left
// out. Shares package tensorflow (and DataType, TensorShapeProto, VersionDef) with graph-proto.ts.

export const SAVED_MODEL_PROTO = `
syntax = "proto3";
package tensorflow;

message SavedObjectGraph {
  repeated SavedObject nodes = 1;
  map<string, SavedConcreteFunction> concrete_functions = 2;
}

message SavedObject {
  repeated TrackableObjectGraph.TrackableObject.ObjectReference children = 1;
  repeated TrackableObjectGraph.TrackableObject.SlotVariableReference slot_variables = 3;
  oneof kind {
    SavedUserObject user_object = 4;
    SavedAsset asset = 5;
    SavedFunction function = 6;
    SavedVariable variable = 7;
    SavedBareConcreteFunction bare_concrete_function = 8;
    SavedConstant constant = 9;
    SavedResource resource = 10;
  }
}

message SavedUserObject {
  string identifier = 1;
  VersionDef version = 2;
  string metadata = 3;
}

message SavedAsset {
  int32 asset_file_def_index = 1;
}

message SavedFunction {
  repeated string concrete_functions = 1;
}

message SavedConcreteFunction {
  repeated int32 bound_inputs = 2;
}

message SavedBareConcreteFunction {
  string concrete_function_name = 1;
  repeated string argument_keywords = 2;
  int64 allowed_positional_arguments = 3;
}

message SavedConstant {
  string operation = 1;
}

message SavedVariable {
  DataType dtype = 1;
  TensorShapeProto shape = 2;
  bool trainable = 3;
  int32 synchronization = 4;
  int32 aggregation = 5;
  string name = 6;
}

message SavedResource {
  string device = 1;
}

message TrackableObjectGraph {
  message TrackableObject {
    message ObjectReference {
      int32 node_id = 1;
      string local_name = 2;
    }
    message SerializedTensor {
      string name = 1;
      string full_name = 2;
      string checkpoint_key = 3;
    }
    message SlotVariableReference {
      int32 original_variable_node_id = 1;
      string slot_name = 2;
      int32 slot_variable_node_id = 3;
    }
    repeated ObjectReference children = 1;
    repeated SerializedTensor attributes = 2;
    repeated SlotVariableReference slot_variables = 3;
  }
  repeated TrackableObject nodes = 1;
}

message BundleHeaderProto {
  enum Endianness { LITTLE = 0; BIG = 1; }
  int32 num_shards = 1;
  Endianness endianness = 2;
  VersionDef version = 3;
}

message TensorSliceProto {
  message Extent {
    int64 start = 1;
    oneof has_length { int64 length = 2; }
  }
  repeated Extent extent = 1;
}

message BundleEntryProto {
  DataType dtype = 1;
  TensorShapeProto shape = 2;
  int32 shard_id = 3;
  int64 offset = 4;
  int64 size = 5;
  fixed32 crc32c = 6;
  repeated TensorSliceProto slices = 7;
}

// keras_metadata.pb (Keras's own package in TF; only the wire format matters here).
message KerasSavedMetadata {
  message Node {
    VersionDef version = 1;
    int32 node_id = 2;
    string node_path = 3;
    string identifier = 4;
    string metadata = 5;
  }
  repeated Node nodes = 1;
}
`;
