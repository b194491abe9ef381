using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TestTimeScaling.Torch.Tests.Reliability;

/// <summary>
/// Finds TorchSharp <c>Scalar</c>s that live only for the duration of a native call. TorchSharp passes a
/// Scalar's native handle without keeping the managed object alive, and the object has a finalizer that frees
/// the handle: a garbage collection triggered by another thread during the call can free the scalar while
/// libtorch reads it ("Unknown scalar type", or silently another value). So a Scalar must be held where the
/// collector sees it for the whole call: a field (created once) or a <c>using</c> local.
/// </summary>
internal static class ScalarLifetimeScan
{
    /// <summary>Every place in the project's sources where a temporary Scalar is made, as "file(line): code".</summary>
    public static IReadOnlyList<string> FindTemporaryScalars(string projectDirectory)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var files = Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                     && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                     // MSBuild tasks shipped with the package, not compiled into the library.
                     && !f.Contains($"{Path.DirectorySeparatorChar}buildTransitive{Path.DirectorySeparatorChar}"))
            .ToList();
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f)).ToList();
        // The SDK's implicit global usings, as the project file enables them.
        trees.Add(CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
            "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;", parse));

        string scanned = Path.GetFileName(projectDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var compilation = CSharpCompilation.Create(scanned + ".Scan", trees, References(scanned),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        // CS8795: a [GeneratedRegex] partial method, whose body a source generator writes at build time.
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(5).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("The scan could not compile the sources, so it would miss conversions: " + string.Join("; ", errors));

        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar")
            ?? throw new InvalidOperationException("TorchSharp.Scalar is not referenced.");
        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var expression in tree.GetRoot().DescendantNodes().OfType<ExpressionSyntax>())
            {
                bool temporary = model.GetConversion(expression) is { IsUserDefined: true, MethodSymbol: { } m }
                                 && SymbolEqualityComparer.Default.Equals(m.ReturnType, scalar);
                // An explicit Scalar (x.ToScalar(), new Scalar(...)) is as short-lived unless it is stored.
                temporary |= expression is InvocationExpressionSyntax or ObjectCreationExpressionSyntax
                             && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(expression).Type, scalar)
                             && !IsStored(expression);
                // Tensor's operators that take a plain number (x + 1e-5, 2.0 * x) make the temporary inside TorchSharp.
                temporary |= expression is BinaryExpressionSyntax
                             && model.GetSymbolInfo(expression).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op
                             && op.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor"
                             && op.Parameters.Any(p => p.Type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double);
                if (temporary)
                {
                    var line = tree.GetLineSpan(expression.Span).StartLinePosition.Line + 1;
                    var shown = expression is BinaryExpressionSyntax or InvocationExpressionSyntax ? expression : expression.Parent;
                    found.Add($"{Path.GetRelativePath(projectDirectory, tree.FilePath)}({line}): {shown}");
                }
            }
        }
        return found;
    }

    // Stored where the collector keeps it alive: a field's initialiser or assignment, or a using declaration.
    private static bool IsStored(ExpressionSyntax expression) => expression.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } } =>
            declaration.Parent is FieldDeclarationSyntax
            || declaration.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 }
            || declaration.Parent is UsingStatementSyntax,
        AssignmentExpressionSyntax assignment => assignment.Right == expression,
        _ => false,
    };

    private static IEnumerable<MetadataReference> References(string scannedAssembly)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator))
            byName[Path.GetFileName(path)] = path;
        // The test's output folder holds TorchSharp and the project's other assemblies; the scanned one is compiled from source.
        foreach (var path in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
        {
            string name = Path.GetFileName(path);
            if (name.Equals(scannedAssembly + ".dll", StringComparison.OrdinalIgnoreCase)) continue;
            if (!IsManaged(path)) continue;
            byName.TryAdd(name, path);
        }
        byName.Remove(scannedAssembly + ".dll");
        return byName.Values.Select(p => MetadataReference.CreateFromFile(p));
    }

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
