using System.ComponentModel;

namespace ModelBuild.Runtime.Execution;

/// <summary>Sets one chunk's input, runs the program on the calling thread's context and returns that context (the generated <c>…Program.Run</c>).</summary>
/// <typeparam name="T">The input's element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate OpContext ChunkRunner<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> shape)
    where T : unmanaged;

/// <summary>
/// A batch run as chunks of samples, one program run per chunk, each output copied into its slice. Two uses:
/// <list type="bullet">
/// <item>A model with a fixed batch (mnist-8's 1) run over more samples: chunks of that batch (<see cref="Fixed{TIn, TOut}"/>).</item>
/// <item>A model that keeps samples apart (<see cref="SampleFlow"/>) run over a batch whose activations would not fit a
/// core's cache: chunks of about <see cref="ModelProgram.BatchChunkBytes"/> of activations each
/// (<see cref="Dynamic{TIn, TOut}"/>). squeezenet_cifar10 at batch 64 keeps ~8 MiB of activations live; in chunks of
/// 4 samples it ran in 0.7–0.94× the time on one thread (issue 12).</item>
/// </list>
/// With <see cref="ModelProgram.IntraOpThreads"/> above 1 the chunks are shared out over <see cref="IntraOp"/>'s
/// threads, each running whole chunks on its own context (its own activation buffers); operators inside a chunk then
/// run on their chunk's thread (IntraOp runs nested regions inline). How a batch is cut does not depend on the thread
/// count, so results are bit-identical for every thread count.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BatchChunks
{
    /// <summary>Runs <paramref name="batchSize"/> / <paramref name="chunk"/> chunks of a fixed-batch model.</summary>
    /// <param name="run">The generated program's <c>Run</c> (sets the input on the calling thread's context, runs it).</param>
    /// <param name="threads">The program's <see cref="ModelProgram.IntraOpThreads"/>.</param>
    /// <param name="input">All samples, <paramref name="batchSize"/> × <paramref name="inputPerSample"/> elements.</param>
    /// <param name="output">All outputs, <paramref name="batchSize"/> × <paramref name="outputPerSample"/> elements.</param>
    /// <param name="shape">The input shape with any first dim (each chunk's is set to its sample count).</param>
    /// <param name="batchSize">Samples, a positive multiple of <paramref name="chunk"/> (checked by the caller).</param>
    /// <param name="chunk">The model's fixed batch.</param>
    /// <param name="inputPerSample">Input elements per sample.</param>
    /// <param name="outputPerSample">Output elements per sample.</param>
    /// <param name="outputValue">The output's value id.</param>
    /// <param name="outputName">The output's ONNX name, for messages.</param>
    /// <exception cref="ArgumentException">A chunk's output does not have its samples × <paramref name="outputPerSample"/> elements.</exception>
    public static void Fixed<TIn, TOut>(ChunkRunner<TIn> run, int threads, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape,
        int batchSize, int chunk, int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        ArgumentNullException.ThrowIfNull(run);
        Run(run, threads, input, output, shape, batchSize, batchSize / chunk, inputPerSample, outputPerSample, outputValue, outputName);
    }

    /// <summary>
    /// Runs a batch of a model whose first input dim is the batch: whole, or in chunks when the program keeps samples
    /// apart and the batch's activations exceed <see cref="ModelProgram.BatchChunkBytes"/>. The first call with two or
    /// more samples also runs the first two alone once, to learn both (<see cref="ModelProgram.ChunkSamples"/>).
    /// </summary>
    /// <param name="run">The generated program's <c>Run</c>.</param>
    /// <param name="program">The program (its thread count, chunk budget and what the probe learned).</param>
    /// <param name="input">All samples, <paramref name="batchSize"/> × <paramref name="inputPerSample"/> elements.</param>
    /// <param name="output">All outputs, <paramref name="batchSize"/> × <paramref name="outputPerSample"/> elements.</param>
    /// <param name="shape">The whole batch's input shape (its first dim = <paramref name="batchSize"/>).</param>
    /// <param name="batchSize">Samples, at least 1.</param>
    /// <param name="inputPerSample">Input elements per sample.</param>
    /// <param name="outputPerSample">Output elements per sample.</param>
    /// <param name="outputValue">The output's value id.</param>
    /// <param name="outputName">The output's ONNX name, for messages.</param>
    /// <exception cref="ArgumentException">The output does not have <paramref name="batchSize"/> × <paramref name="outputPerSample"/> elements.</exception>
    public static void Dynamic<TIn, TOut>(ChunkRunner<TIn> run, ModelProgram program, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape,
        int batchSize, int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(program);
        int chunks = 1;
        if (batchSize >= SampleFlow.ProbeBatch && program.BatchChunkBytes > 0)
        {
            int samples = program.ChunkSamples(run, input, shape, inputPerSample);
            if (samples > 0 && samples < batchSize)
            {
                chunks = (batchSize + samples - 1) / samples;
                // An even count, so two threads get the same work (the cut stays independent of the thread count),
                // but never more chunks than samples: an empty chunk would run the model on a batch of 0.
                chunks = Math.Min(chunks + (chunks & 1), batchSize);
            }
        }

        if (chunks == 1)
        {
            Predictors.CopyExact(run(input, shape), outputValue, output, outputName);
            return;
        }

        Run(run, program.IntraOpThreads, input, output, shape, batchSize, chunks, inputPerSample, outputPerSample, outputValue, outputName);
    }

    /// <summary>Chunk <paramref name="c"/> of <paramref name="chunks"/>: samples [B·c/chunks, B·(c+1)/chunks).</summary>
    private static (int Start, int Count) Slice(int batchSize, int chunks, int c)
    {
        int start = (int)((long)batchSize * c / chunks);
        return (start, (int)((long)batchSize * (c + 1) / chunks) - start);
    }

    private static unsafe void Run<TIn, TOut>(ChunkRunner<TIn> run, int threads, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape,
        int batchSize, int chunks, int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        // Every chunk is a whole model run (tens of µs and more), far above a hand-off: split whenever there are two.
        int parts = threads <= 1 ? 1 : Math.Min(chunks, IntraOp.MaxParts);
        if (parts <= 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                RunChunk(run, input, output, shape, batchSize, chunks, c, inputPerSample, outputPerSample, outputValue, outputName);
            }

            return;
        }

        fixed (TIn* pi = input)
        fixed (TOut* po = output)
        fixed (int* ps = shape)
        {
            var job = Job<TIn, TOut>.Current;
            job.Set(run, pi, input.Length, po, output.Length, ps, shape.Length, batchSize, chunks, inputPerSample, outputPerSample, outputValue, outputName);
            try
            {
                IntraOp.Run(job, parts, threads);
            }
            finally
            {
                job.Set(null, null, 0, null, 0, null, 0, 0, 0, 0, 0, 0, "");
            }
        }
    }

    private static void RunChunk<TIn, TOut>(ChunkRunner<TIn> run, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape, int batchSize,
        int chunks, int c, int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        var (start, count) = Slice(batchSize, chunks, c);
        Span<int> chunkShape = stackalloc int[shape.Length];
        shape.CopyTo(chunkShape);
        chunkShape[0] = count;
        var context = run(input.Slice(start * inputPerSample, count * inputPerSample), chunkShape);
        Predictors.CopyExact(context, outputValue, output.Slice(start * outputPerSample, count * outputPerSample), outputName);
    }

    /// <summary>A parallel call's operands as pointers (fixed by <see cref="Run"/> for the call's duration); one per calling thread and element types.</summary>
    private sealed unsafe class Job<TIn, TOut> : IntraOp.IWork
        where TIn : unmanaged
        where TOut : unmanaged
    {
        [ThreadStatic]
        private static Job<TIn, TOut>? t_job;

        private ChunkRunner<TIn>? _run;
        private TIn* _input;
        private TOut* _output;
        private int* _shape;
        private int _inputLength, _outputLength, _shapeLength, _batchSize, _chunks, _inputPerSample, _outputPerSample, _outputValue;
        private string _outputName = "";

        public static Job<TIn, TOut> Current => t_job ??= new Job<TIn, TOut>();

        public void Set(ChunkRunner<TIn>? run, TIn* input, int inputLength, TOut* output, int outputLength, int* shape, int shapeLength, int batchSize, int chunks,
            int inputPerSample, int outputPerSample, int outputValue, string outputName)
        {
            _input = input;
            _output = output;
            _shape = shape;
            (_run, _inputLength, _outputLength, _shapeLength) = (run, inputLength, outputLength, shapeLength);
            (_batchSize, _chunks, _inputPerSample, _outputPerSample, _outputValue, _outputName) = (batchSize, chunks, inputPerSample, outputPerSample, outputValue, outputName);
        }

        /// <summary>Chunks [chunks·part/parts, chunks·(part+1)/parts), in order, on this thread's context.</summary>
        public void Run(int part, int parts)
        {
            var input = new ReadOnlySpan<TIn>(_input, _inputLength);
            var output = new Span<TOut>(_output, _outputLength);
            var shape = new ReadOnlySpan<int>(_shape, _shapeLength);
            for (int c = _chunks * part / parts, end = _chunks * (part + 1) / parts; c < end; c++)
            {
                RunChunk(_run!, input, output, shape, _batchSize, _chunks, c, _inputPerSample, _outputPerSample, _outputValue, _outputName);
            }
        }
    }
}
