using ModelBuild.Onnx.Proto;

namespace ModelBuild.Onnx;

/// <summary>
/// Walks every tensor of a parsed model (initializers, attributes, nested graphs) and checks that its dims are
/// sane and its data has exactly the declared size. External data is loaded on the way.
/// </summary>
internal sealed class TensorChecker(string file, OnnxReadLimits limits, ExternalDataLoader external)
{
    /// <param name="graph">The graph to check (nested graphs are checked too).</param>
    /// <param name="deferInitializers">Record the external data of this graph's initializers in the loader's
    /// <c>Deferred</c> instead of loading it (nested graphs and attributes are always loaded).</param>
    public void CheckGraph(GraphProto graph, bool deferInitializers = false)
    {
        foreach (var tensor in graph.Initializer)
        {
            Check(tensor, $"initializer '{tensor.Name}'", deferInitializers);
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            CheckSparse(sparse, "sparse initializer");
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                CheckAttribute(attribute, $"attribute '{attribute.Name}' of node '{node.Name}' ({node.OpType})");
            }
        }
    }

    private void CheckAttribute(AttributeProto attribute, string where)
    {
        if (attribute.T is not null)
        {
            Check(attribute.T, where);
        }

        foreach (var t in attribute.Tensors)
        {
            Check(t, where);
        }

        if (attribute.SparseTensor is not null)
        {
            CheckSparse(attribute.SparseTensor, where);
        }

        foreach (var s in attribute.SparseTensors)
        {
            CheckSparse(s, where);
        }

        // Nesting depth is bounded by the parser's recursion limit, so this recursion is too.
        if (attribute.G is not null)
        {
            CheckGraph(attribute.G);
        }

        foreach (var g in attribute.Graphs)
        {
            CheckGraph(g);
        }
    }

    private void CheckSparse(SparseTensorProto sparse, string where)
    {
        CheckDims(sparse.Dims, where + " (sparse dims)");
        if (sparse.Values is not null)
        {
            Check(sparse.Values, where + " (sparse values)");
        }

        if (sparse.Indices is not null)
        {
            Check(sparse.Indices, where + " (sparse indices)");
        }
    }

    private long CheckDims(IReadOnlyList<long> dims, string where)
    {
        if (dims.Count > limits.MaxRank)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"Tensor {where} has rank {dims.Count}, over the limit of {limits.MaxRank} (MaxRank). The file is probably corrupt.");
        }

        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw Mismatch(where, $"declares a negative dimension {d} in [{string.Join(",", dims)}]");
            }

            // Compare by division so a product like 1e9 x 1e9 x 1e9 cannot overflow.
            if (d != 0 && count > limits.MaxTensorElements / d)
            {
                throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                    $"Tensor {where} declares dims [{string.Join(",", dims)}], more than the limit of {limits.MaxTensorElements:N0} elements (MaxTensorElements). The file is probably corrupt.");
            }

            count *= d;
        }

        return count;
    }

    private void Check(TensorProto tensor, string where, bool defer = false)
    {
        var count = CheckDims(tensor.Dims, where);
        if (tensor.DataType == (int)TensorProto.Types.DataType.Undefined)
        {
            throw Mismatch(where, "has data type 0 (UNDEFINED), which no tensor may have");
        }

        var expectedRaw = OnnxDataTypes.RawByteCount(tensor.DataType, count);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (defer && expectedRaw is not null && tensor.DataType != (int)TensorProto.Types.DataType.String)
            {
                var segment = external.Defer(tensor, where);
                if (segment.Length != expectedRaw)
                {
                    throw Mismatch(where, $"has {segment.Length:N0} bytes of external data but dims [{string.Join(",", tensor.Dims)}] of data type {tensor.DataType} need {expectedRaw:N0}");
                }

                return;
            }

            external.Load(tensor, where);
        }

        if (expectedRaw > limits.MaxTensorBytes)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"Tensor {where} needs {expectedRaw:N0} bytes, over the limit of {limits.MaxTensorBytes:N0} bytes (MaxTensorBytes).");
        }

        if (tensor.HasRawData)
        {
            if (tensor.DataType == (int)TensorProto.Types.DataType.String)
            {
                throw Mismatch(where, "is a string tensor but stores raw_data (strings must use string_data)");
            }

            if (expectedRaw is { } raw && tensor.RawData.Length != raw)
            {
                throw Mismatch(where, $"has {tensor.RawData.Length:N0} bytes of raw_data but dims [{string.Join(",", tensor.Dims)}] of data type {tensor.DataType} need {raw:N0}");
            }

            return;
        }

        var (field, needed) = OnnxDataTypes.TypedStorage(tensor.DataType, count);
        if (field == OnnxDataTypes.TypedField.None)
        {
            return; // A type this reader does not know; its bytes pass through unchecked.
        }

        var present = OnnxDataTypes.FieldCount(tensor, field);
        if (present != needed || OnnxDataTypes.AllTypedCount(tensor) != present)
        {
            throw Mismatch(where, $"has {present:N0} values in {field} (and {OnnxDataTypes.AllTypedCount(tensor) - present:N0} in other fields) but dims [{string.Join(",", tensor.Dims)}] of data type {tensor.DataType} need {needed:N0}");
        }
    }

    private ModelBuildException Mismatch(string where, string what) =>
        new(OnnxErrors.TensorDataMismatch, file, $"Tensor {where} {what}. The file is corrupt or was written by a faulty exporter; re-export the model.");
}
