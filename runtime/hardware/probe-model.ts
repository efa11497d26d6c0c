/**
 * The model the provider probe opens on each execution provider: y = x * 2 + 1 for x float32 [1, 4]
 * (a Mul and an Add, so a provider's node placement shows in onnxruntime's log). Embedded so the
 * runtime depends on no file outside itself. Made once with Debian's python3-onnx:
 *
 *   /usr/bin/python3 -c '
 *   import onnx, base64; from onnx import TensorProto, helper
 *   two = helper.make_tensor("two", TensorProto.FLOAT, [1], [2.0]); one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
 *   g = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["x2"]), helper.make_node("Add", ["x2", "one"], ["y"])], "airlock_probe",
 *     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [two, one])
 *   m = helper.make_model(g, producer_name="airlock-probe", opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
 *   onnx.checker.check_model(m); print(base64.b64encode(m.SerializeToString(deterministic=True)).decode())'
 */
export const PROBE_MODEL_BASE64 =
  'CAgSDWFpcmxvY2stcHJvYmU6gQEKEQoBeAoDdHdvEgJ4MiIDTXVsChEKAngyCgNvbmUSAXkiA0FkZBINYWlybG9ja19wcm9iZSoPCAEQASIEAAAAQEIDdHdvKg8IARABIgQAAIA/QgNvbmVaEwoBeBIOCgwIARIICgIIAQoCCARiEwoBeRIOCgwIARIICgIIAQoCCARCBAoAEBE=';

/** The probe's input and the output a working provider must give for it. */
export const PROBE_INPUT = [0.5, -1, 2, 10] as const;
export const PROBE_EXPECTED = PROBE_INPUT.map((x) => x * 2 + 1);
