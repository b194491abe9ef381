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
                // An explicit Scalar (x.ToScalar(), new Scalar(...)) handed straight to TorchSharp is as short-lived.
                temporary |= (expression is ObjectCreationExpressionSyntax
                              || expression is InvocationExpressionSyntax && model.GetSymbolInfo(expression).Symbol?.Name == "ToScalar")
                             && SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(expression).Type, scalar)
                             && !IsStored(expression, model) && ConsumedByTorchSharp(expression, model);
                // Tensor's operators that take a plain number (x + 1e-5, 2.0 * x) make the temporary inside TorchSharp.
                temporary |= expression is BinaryExpressionSyntax
                             && model.GetSymbolInfo(expression).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op
                             && op.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor"
                             && op.Parameters.Any(p => p.Type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double);
                // TorchSharp's own shortcuts that make the temporary inside: tensor + tensor and tensor + scalar are
                // add(other, alpha: 1); add(x)/add_(x) pass alpha 1; scalar - tensor is negative().add(scalar).
                temporary |= expression is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression } sum
                             && model.GetSymbolInfo(sum).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } plus
                             && plus.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor"
                             && (sum.IsKind(SyntaxKind.AddExpression) || plus.Parameters[0].Type.Name != "Tensor");
                temporary |= expression is InvocationExpressionSyntax call
                             && model.GetSymbolInfo(call).Symbol is IMethodSymbol { Name: "add" or "add_" or "addcdiv" or "addcdiv_" } method
                             && method.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor"
                             && !method.Parameters.Any(p => p.Name is "alpha" or "value");
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

    // Stored where the collector keeps it alive: a field's initialiser or assignment, or a using declaration (a plain
    // local is dead to the JIT once its handle has been read, so it does not count).
    private static bool IsStored(ExpressionSyntax expression, SemanticModel model) => expression.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } } =>
            declaration.Parent is FieldDeclarationSyntax
            || declaration.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 }
            || declaration.Parent is UsingStatementSyntax,
        AssignmentExpressionSyntax assignment => assignment.Right == expression
            && model.GetSymbolInfo(assignment.Left).Symbol is IFieldSymbol or IPropertySymbol,
        _ => false,
    };

    // The expression is an argument of a TorchSharp method or an operand of a TorchSharp operator.
    private static bool ConsumedByTorchSharp(ExpressionSyntax expression, SemanticModel model)
    {
        var consumer = expression.Parent switch
        {
            ArgumentSyntax { Parent: ArgumentListSyntax { Parent: { } call } } => model.GetSymbolInfo(call).Symbol,
            BinaryExpressionSyntax binary => model.GetSymbolInfo(binary).Symbol,
            _ => null,
        };
        return consumer?.ContainingNamespace?.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal) == true;
    }

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
