namespace ModelBuild.Runtime.Execution;

/// <summary>
/// One operator call of a model program. Each operator is a record in <c>ModelBuild.Runtime.Ops</c> whose
/// constructor parameters are its plan record's keys: the compressor constructs it when lowering an ONNX node,
/// the plan stores its properties, generated code constructs it again with named arguments (so the C# compiler
/// checks every key and type) and the build's plan interpreter constructs it by reflection.
/// </summary>
/// <remarks>
/// <see cref="Execute"/> computes the output shapes from the actual input shapes (and, for shape-consuming
/// operators such as Reshape, from the values of int64 inputs), checks them, asks the context for output
/// memory and runs the kernel. It must not allocate: steady-state calls with a repeated shape are allocation-free.
/// </remarks>
public abstract record Op
{
    /// <summary>The ONNX node this call came from (its name, or its first output's name), for messages.</summary>
    public string Node { get; init; } = "";

    /// <summary>Runs the operator on the context's tensors.</summary>
    /// <exception cref="ArgumentException">The input shapes do not fit the operator (the message names the node).</exception>
    public abstract void Execute(OpContext c);

    /// <summary>
    /// Whether this call keeps the samples of a batch apart (<see cref="SampleFlow"/>): each output sample depends only
    /// on the same sample of the batched inputs and on constants. An override checks its operands through
    /// <paramref name="flow"/> and marks the outputs that carry samples. The default says no, so an operator nobody
    /// has reasoned about keeps its model from running in chunks.
    /// </summary>
    protected internal virtual bool KeepsSamplesApart(SampleFlow flow) => false;

    /// <summary>An <see cref="ArgumentException"/> naming this node (internal too: shared shape helpers report through it).</summary>
    protected internal ArgumentException Fail(string reason) =>
        new($"{GetType().Name.Replace("Op", "", StringComparison.Ordinal)} '{Node}': {reason}");
}

/// <summary>An operator whose output may share its input's storage (the planner runs it in place when the input dies there).</summary>
public interface IInPlaceOp
{
    /// <summary>The input value.</summary>
    int X { get; }

    /// <summary>The output value, same shape as the input.</summary>
    int Y { get; }
}
