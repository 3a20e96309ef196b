using System.Security.Cryptography;
using System.Text;
using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// A SHA-256 of everything a compression result depends on: the ModelBuild build that made it, the request, the
/// model, its external-data files, the manifest and every data file the manifest names. MSBuild's timestamps already skip untouched models;
/// this also skips the work (passes, accuracy evaluation) when files were touched but not changed, e.g. by a
/// checkout or a restore.
/// </summary>
internal static class ContentHash
{
    /// <param name="request">The model and item settings.</param>
    /// <param name="manifest">The manifest (its data files are hashed).</param>
    /// <param name="externalData">The model's external-data files: from the import, or before it from the list the
    /// last build wrote (a changed model changes the model's own bytes, so a stale list cannot vouch for new outputs).</param>
    public static string Compute(CompressionRequest request, CompressionManifest manifest, IEnumerable<string> externalData)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string text) => sha.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        void FileBytes(string path)
        {
            Text(path);
            if (!File.Exists(path))
            {
                return; // the reader reports it (MB1001) with the file's name
            }

            using var stream = File.OpenRead(path);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        Text(typeof(ContentHash).Assembly.ManifestModule.ModuleVersionId.ToString());
        Text($"{request.ClassName}|{request.Namespace}|{request.ResourceName}|{request.InputShapes}|{request.Runtime}|{request.Generate}");
        FileBytes(request.ModelPath);
        if (request.ManifestPath.Length > 0)
        {
            FileBytes(request.ManifestPath);
        }

        foreach (var path in manifest.DataFiles().Where(File.Exists))
        {
            FileBytes(path);
        }

        Text("external data");
        foreach (var path in externalData.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            FileBytes(path);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
