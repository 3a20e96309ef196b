namespace ModelBuild.IntegrationTests;

/// <summary>The way a new user meets ModelBuild: `dotnet pack`, a local feed, a PackageReference.</summary>
[Collection(DotNetPackCollection.Name)]
public sealed partial class PackageTests(PackedPackage package, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PackedPackage>
{
    [Fact]
    public void PackedNupkg_RestoresFromLocalFeed_AndItsPredictorMatchesOnnxRuntime()
    {
        AssertPackageLayout(package.Nupkg);
        using var project = ConsumerProject.FromPackage(package.Feed, package.Version, MnistModel.Mlp.AsConsumer());
        var build = project.Build();
        Assert.True(build.Succeeded, build.Output);

        var model = MnistModel.Mlp;
        var inputs = model.Preprocess(TestData.TestImages.AsSpan(0, 200 * 784).ToArray());
        var ours = project.Predict(model.ClassName, inputs, 200);
        var compressed = MnistModel.RunOnnxRuntime(project.OutputFile(model.ClassName, ".compressed.onnx"), inputs, true);
        var original = MnistModel.RunOnnxRuntime(model.Path, inputs, true);
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.True(Math.Abs(ours[i] - compressed[i]) <= TestData.BatchedAgainstOnnxRuntime * Math.Max(1, Math.Abs(compressed[i])), $"output {i}: {ours[i]} vs {compressed[i]}");
        }

        Assert.True(MnistModel.Agreement(ours, original) >= 0.99);
    }

    /// <summary>
    /// The five real models of ../shared/realmodels, as shipped (no edits, dynamic dims kept), built from the package
    /// in one consumer project: exact float32 (`"passes": []`), plus the detector at the zero-config default (int8)
    /// whose difference is reported. Each is compared with ONNX Runtime on the original file.
    /// </summary>
    [SkippableFact]
    public void RealModels_BuildAsShippedFromThePackage_AndMatchOnnxRuntime()
    {
        var models = RealModelFiles.Directory();
        string Onnx(string name) => Path.Combine(models, name + ".onnx");
        using var project = ConsumerProject.FromPackage(package.Feed, package.Version,
            new ConsumerModel(Onnx("ppocr_cls"), "PpOcrCls", "exact.json"),
            new ConsumerModel(Onnx("ppocr_det"), "PpOcrDet", "exact.json"),
            new ConsumerModel(Onnx("ppocr_det"), "PpOcrDetInt8"),
            new ConsumerModel(Onnx("ppocr_rec"), "PpOcrRec", "exact.json"),
            new ConsumerModel(Onnx("blazeface_front"), "BlazeFace", "exact.json"),
            new ConsumerModel(Onnx("wakeword_clf"), "WakeWord", "exact.json"));
        project.Write("exact.json", """{ "passes": [] }""");
        project.Write("Program.cs", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Consumers", "RealModelsProgram.cs.txt")));
        var inputs = new Dictionary<string, (float[] Data, int[] Shape)>
        {
            ["ppocr_cls"] = (Uniform(1, 3 * 48 * 192), [1, 3, 48, 192]),
            ["ppocr_det"] = (Uniform(2, 3 * 96 * 160), [1, 3, 96, 160]),
            ["ppocr_rec"] = (Uniform(3, 3 * 48 * 320), [1, 3, 48, 320]),
            ["blazeface_front"] = (Uniform(4, 128 * 128 * 3), [1, 128, 128, 3]),
            ["wakeword_clf"] = ([.. Uniform(5, 25 * 96).Select(v => 5 * v)], [1, 25, 96]),
        };
        foreach (var (name, (data, _)) in inputs)
        {
            project.Write(name + ".in.f32", "");
            File.WriteAllBytes(Path.Combine(project.Directory, name + ".in.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        }

        var build = project.Build();
        Assert.True(build.Succeeded, build.Output);
        var run = DotNet.Run(project.Directory, Path.Combine(project.Directory, "bin", TestPaths.Configuration, "net10.0", "Consumer.dll"), project.Directory);
        Assert.True(run.Succeeded, run.Output);

        float[] Ours(string name, int k) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(project.Directory, $"{name}.out{k}.f32"))).ToArray();
        IReadOnlyList<float[]> Reference(string name)
        {
            using var session = Evaluation.OnnxRuntimeSession.FromFile(Onnx(name));
            var outputs = session.Run(new Dictionary<string, (float[], int[])> { [session.InputNames[0]] = inputs[name] });
            return [.. session.OutputNames.Select(n => outputs[n].Data)];
        }

        // Classifier: the same argmax; detector (exact): probability map within 1e-3 mean |Δ|; recogniser: the same
        // greedy CTC classes; BlazeFace and the wake-word score: within float32 reassociation.
        Assert.Equal(ArgMax(Reference("ppocr_cls")[0]), ArgMax(Ours("ppocr_cls", 0)));
        var det = Reference("ppocr_det")[0];
        Assert.True(MeanAbs(det, Ours("ppocr_det", 0)) <= 1e-3, $"ppocr_det mean |Δ| {MeanAbs(det, Ours("ppocr_det", 0)):E2}");
        var int8 = MeanAbs(det, Ours("ppocr_det_int8", 0));
        output.WriteLine($"ppocr_det at the default int8: mean |Δ| {int8:E2} against ONNX Runtime on the original model");
        Assert.True(int8 < 0.05, $"ppocr_det int8 mean |Δ| {int8:E2}"); // a broken int8 path moves whole regions by tenths
        Assert.Equal(Ctc(Reference("ppocr_rec")[0], 6625), Ctc(Ours("ppocr_rec", 0), 6625));
        var face = Reference("blazeface_front");
        for (var k = 0; k < face.Count; k++)
        {
            Assert.True(MeanAbs(face[k], Ours("blazeface_front", k)) <= 1e-4, $"blazeface output {k}");
        }

        Assert.True(MeanAbs(Reference("wakeword_clf")[0], Ours("wakeword_clf", 0)) <= 1e-4, "wakeword score");
    }

    private static float[] Uniform(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    private static double MeanAbs(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Average();
    }

    private static int[] ArgMax(float[] rowMajorPairs) =>
        [.. Enumerable.Range(0, rowMajorPairs.Length / 2).Select(r => rowMajorPairs[(2 * r) + 1] > rowMajorPairs[2 * r] ? 1 : 0)];

    private static string Ctc(float[] probabilities, int classes)
    {
        var best = Enumerable.Range(0, probabilities.Length / classes)
            .Select(t => Array.IndexOf(probabilities, probabilities.AsSpan(t * classes, classes).ToArray().Max(), t * classes) - (t * classes)).ToArray();
        return string.Join(' ', best.Where((c, t) => c != 0 && (t == 0 || best[t - 1] != c)));
    }

    [Fact]
    public void Net8Consumer_GetsMB0011NamingTheFramework_NotCompilerErrorsInGeneratedCode()
    {
        using var project = ConsumerProject.FromPackage(package.Feed, package.Version, MnistModel.Mlp.AsConsumer());

        // In the project file (a -p:TargetFramework=net8.0 override does not reach restore, which then fails first).
        project.Write("Consumer.csproj", File.ReadAllText(project.ProjectFile).Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFramework>net8.0</TargetFramework>", StringComparison.Ordinal));

        var build = project.Build();

        Assert.False(build.Succeeded, build.Output);
        Assert.True(build.Output.Contains("error MB0011: ModelBuild's generated predictors need .NET 10 or later, and this project targets 'net8.0'", StringComparison.Ordinal), build.Output);
        Assert.DoesNotContain("error CS", build.Output);
    }

    [Fact]
    public void DebugReleasePublishAndRebuild_ReuseOneCompression_UnlessForced()
    {
        using var project = ConsumerProject.FromPackage(package.Feed, package.Version, MnistModel.Mlp.AsConsumer());
        DotNet.Result Run(params string[] args)
        {
            var result = DotNet.Run(project.Directory, [.. args, project.ProjectFile, "-v:n", "-nologo"]);
            Assert.True(result.Succeeded, result.Output);
            return result;
        }

        var first = Run("build", "-c", "Release");
        Assert.Contains("pass 1/1: quantize(int8", first.Output);

        // Other configurations, a RID-specific publish and a Rebuild (clean + build) need the same bytes: copied
        // from obj/modelbuild/cache/, no pass runs.
        foreach (var other in new[] { Run("build", "-c", "Debug"), Run("publish", "-c", "Release", "-r", "linux-x64"), Run("build", "-t:Rebuild", "-c", "Release") })
        {
            Assert.DoesNotContain("pass 1/1", other.Output);
            Assert.Contains("no compression", other.Output);
            Assert.Contains("(from the cache)", other.Output);
        }

        Assert.True(File.Exists(Path.Combine(project.Directory, "obj", "Release", "net10.0", "linux-x64", "modelbuild", "MlpModel", "MlpModel.weights.mbw")));

        // Every model runs as generated code: no ONNX Runtime in the build or publish output (the worker's copy stays in the package).
        var ort = Directory.GetFiles(Path.Combine(project.Directory, "bin"), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("onnxruntime", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(ort.Count == 0, "ONNX Runtime files in an all-generated app's output: " + string.Join(", ", ort));
        Assert.True(Directory.Exists(Path.Combine(project.Directory, "bin", "Release", "net10.0", "linux-x64", "publish")), "the publish folder was checked");
        var forced = Run("build", "-c", "Release", "-p:ModelBuild_ForceCompress=true");
        Assert.Contains("pass 1/1: quantize(int8", forced.Output);
    }

    [Fact]
    public void Nuspec_HasLicenseReadmeIconAndUrls_AndTheRuntimeHasASymbolsPackage()
    {
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package.Nupkg))
        {
            var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using var stream = nuspecEntry.Open();
            var metadata = System.Xml.Linq.XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
            Assert.Equal("expression", license.Attribute("type")!.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Equal("README.md", Field("readme"));
            Assert.Equal("icon.png", Field("icon"));
            Assert.StartsWith("https://", Field("projectUrl"));
            Assert.StartsWith("https://", metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")!.Value);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("README.md", entries);
            Assert.Contains("icon.png", entries);
            Assert.Contains("schema/modelbuild.schema.json", entries);
        }

        var snupkg = Path.ChangeExtension(package.Nupkg, ".snupkg");
        Assert.True(File.Exists(snupkg), string.Join("\n", Directory.GetFiles(package.Feed)));
        using var symbols = System.IO.Compression.ZipFile.OpenRead(snupkg);
        var pdb = symbols.Entries.Single(e => e.FullName == "lib/net10.0/ModelBuild.Runtime.pdb");
        using var pdbStream = pdb.Open();
        using var copy = new MemoryStream();
        pdbStream.CopyTo(copy);
        copy.Position = 0;
        using var provider = System.Reflection.Metadata.MetadataReaderProvider.FromPortablePdbStream(copy);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();

        // Deterministic source paths: the PDB names /_/src/..., never this machine's checkout.
        Assert.Contains(documents, d => d.EndsWith("ModelInfo.cs", StringComparison.Ordinal));
        Assert.All(documents, d => Assert.StartsWith("/_/", d));
    }

    [Fact]
    public void FallbackPackage_ShipsTheOpAndItsPropsFlag_AndDependsOnOnnxRuntimeOnly()
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package.FallbackNupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/ModelBuild.OnnxRuntime.dll", entries);
        Assert.Contains("build/ModelBuild.OnnxRuntime.props", entries);
        Assert.Contains("buildTransitive/ModelBuild.OnnxRuntime.props", entries);
        Assert.DoesNotContain("lib/net10.0/ModelBuild.Runtime.dll", entries); // comes with ModelBuild: one copy only

        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var dependencies = System.Xml.Linq.XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => e.Attribute("id")!.Value).ToHashSet();
        Assert.Contains("Microsoft.ML.OnnxRuntime", dependencies);
        Assert.DoesNotContain("ModelBuild.Runtime", dependencies);
    }

    private static void AssertPackageLayout(string nupkg)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("build/ModelBuild.props", entries);
        Assert.Contains("build/ModelBuild.targets", entries);
        Assert.Contains("build/ModelBuild.Version.props", entries);
        Assert.Contains("tasks/net10.0/ModelBuild.Tasks.dll", entries);
        Assert.Contains("tools/net10.0/modelbuild.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/ModelBuild.Generator.dll", entries);
        Assert.Contains("lib/net10.0/ModelBuild.Runtime.dll", entries);
        // MSBuild's own assemblies must never ship with a task.
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.Build.", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal));

        // The worker is portable: ONNX Runtime's native library for every build host ONNX Runtime publishes, and
        // nothing a build host never loads (mobile packages, Windows import libraries).
        string[] natives =
        [
            "linux-x64/native/libonnxruntime.so", "linux-arm64/native/libonnxruntime.so", "osx-arm64/native/libonnxruntime.dylib",
            "win-x64/native/onnxruntime.dll", "win-arm64/native/onnxruntime.dll",
        ];
        Assert.All(natives, n => Assert.Contains("tools/net10.0/runtimes/" + n, entries));
        Assert.DoesNotContain(entries, e => e.StartsWith("tools/net10.0/runtimes/android/", StringComparison.Ordinal) || e.StartsWith("tools/net10.0/runtimes/ios/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("tools/net10.0/runtimes/", StringComparison.Ordinal) && e.EndsWith(".lib", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("tools/net10.0/", StringComparison.Ordinal) && e.Count(c => c == '/') == 2 && e.EndsWith("onnxruntime.so", StringComparison.Ordinal));
    }
}

/// <summary>The solution's package, packed once per test class into a fresh local feed.</summary>
public sealed class PackedPackage : IDisposable
{
    public PackedPackage()
    {
        Feed = Directory.CreateTempSubdirectory("mb-feed-").FullName;

        // A fresh version each run: NuGet's cache would otherwise serve an older package with the same version.
        Version = "0.1.0-ci." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        PackOutput = DotNet.Run(TestPaths.RepoRoot, "pack", "src/ModelBuild/ModelBuild.csproj", "-c", TestPaths.Configuration,
            "-o", Feed, $"-p:PackageVersion={Version}", "--no-restore", "-nologo");
        Assert.True(PackOutput.Succeeded, PackOutput.Output);
        Assert.True(File.Exists(Nupkg), PackOutput.Output);
        FallbackPackOutput = DotNet.Run(TestPaths.RepoRoot, "pack", "src/ModelBuild.OnnxRuntime/ModelBuild.OnnxRuntime.csproj", "-c", TestPaths.Configuration,
            "-o", Feed, $"-p:PackageVersion={Version}", "--no-restore", "-nologo");
        Assert.True(FallbackPackOutput.Succeeded, FallbackPackOutput.Output);
    }

    internal DotNet.Result FallbackPackOutput { get; }

    /// <summary>The opt-in ONNX Runtime fallback package.</summary>
    public string FallbackNupkg => Path.Combine(Feed, $"ModelBuild.OnnxRuntime.{Version}.nupkg");

    public string Feed { get; }

    public string Version { get; }

    internal DotNet.Result PackOutput { get; }

    public string Nupkg => Path.Combine(Feed, $"ModelBuild.{Version}.nupkg");

    public void Dispose() => Directory.Delete(Feed, recursive: true);
}
