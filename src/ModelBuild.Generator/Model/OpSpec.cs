namespace ModelBuild.Generator.Model;

/// <summary>
/// One operator call: the runtime record <c>ModelBuild.Runtime.Ops.{Kind}Op</c>, the ONNX node it came from, and
/// its constructor arguments in plan order. Values are checked literal tokens (numbers, <c>true</c>/<c>false</c>,
/// <c>Enum.Member</c>, <c>[lists]</c>, quoted strings); the C# compiler checks names and types when the emitted
/// named arguments compile against ModelBuild.Runtime.
/// </summary>
internal sealed record OpSpec(string Kind, string Node, EquatableArray<OpArg> Args);

/// <summary>One <c>key=value</c> of an op record; <see cref="Quoted"/> for string values.</summary>
internal sealed record OpArg(string Key, string Value, bool Quoted);
