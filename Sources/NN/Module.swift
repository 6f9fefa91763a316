import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANFormats

/// A non-trainable tensor that is part of a module's state: running statistics, counters.
public final class Buffer: @unchecked Sendable {
    public var value: Tensor
    /// How the buffer is stored in a state-dict file: `.float32`, or `.int64` for counters such as
    /// BatchNorm's `num_batches_tracked` (as PyTorch stores them).
    public let scalarType: ScalarType

    public init(_ value: Tensor, scalarType: ScalarType = .float32) {
        self.value = value
        self.scalarType = scalarType
    }
}

/// A module with one input and one output, the kind ``Sequential`` chains.
public protocol Layer: Module {
    func callAsFunction(_ input: Variable) throws -> Variable
}

/// The base of every layer and model: named parameters, buffers and child modules, training and
/// evaluation mode, freezing, and state dicts named exactly as PyTorch names them.
///
/// Parameters, buffers and children are found by reflection on stored properties: a property of
/// type `Variable` is a parameter, `Buffer` a buffer, `Module` a child, and arrays of them are numbered
/// (`blocks.0.conv.weight`); optionals count when set. A property's state-dict name is its Swift name, or the
/// PyTorch name ``stateKeys`` gives it (`conditioning` → `ca_net`), so state dicts of the reference load as they
/// are while the Swift API keeps Swift names. Declare parameters before buffers, in PyTorch's registration order,
/// so that `stateDict()` lists them in the same order.
open class Module {
    /// Whether the module is in training mode (see ``train(_:)``).
    public private(set) var isTraining = true

    public init() {}

    /// The state-dict key of each stored property whose Swift name is not PyTorch's, by Swift name
    /// (`["conditioning": "ca_net"]`). State-dict keys are data that must match checkpoints byte for byte; Swift
    /// names follow the API guidelines. A subclass lists the renamings of its own properties (adding its superclass's,
    /// if that has any); ``checkStateKeys()`` refuses a name that is no stored property and two members under one key.
    open class var stateKeys: [String: String] { [:] }

    /// The child modules with their names. The default uses reflection; override it to name children
    /// differently (``Sequential`` numbers them).
    open var namedChildren: [(String, Module)] { reflectedMembers().children }

    /// This module's own parameters (not its children's), in declaration order.
    open var namedOwnParameters: [(String, Variable)] { reflectedMembers().parameters }

    /// This module's own buffers, in declaration order.
    open var namedOwnBuffers: [(String, Buffer)] { reflectedMembers().buffers }

    private func reflectedMembers() -> (parameters: [(String, Variable)], buffers: [(String, Buffer)], children: [(String, Module)]) {
        var parameters: [(String, Variable)] = [], buffers: [(String, Buffer)] = [], children: [(String, Module)] = []
        func visit(_ label: String, _ value: Any) {
            if let v = value as? Variable {
                parameters.append((label, v))
            } else if let b = value as? Buffer {
                buffers.append((label, b))
            } else if let m = value as? Module {
                children.append((label, m))
            } else {
                let mirror = Mirror(reflecting: value)
                if mirror.displayStyle == .optional {
                    if let some = mirror.children.first { visit(label, some.value) }
                } else if mirror.displayStyle == .collection {
                    for (i, element) in mirror.children.enumerated() { visit("\(label).\(i)", element.value) }
                }
            }
        }
        let keys = type(of: self).stateKeys
        for (name, value) in storedProperties() { visit(keys[name] ?? name, value) }
        return (parameters, buffers, children)
    }

    /// The stored properties of this object's classes with their Swift names (a wrapper's or `lazy` property's
    /// storage without its `_`), superclass properties first, as a PyTorch subclass registers its parent's members
    /// first.
    private func storedProperties() -> [(name: String, value: Any)] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        return mirrors.reversed().flatMap { m in
            m.children.compactMap { child -> (name: String, value: Any)? in
                guard let label = child.label, !label.hasPrefix("$") else { return nil }
                return (label.hasPrefix("_") ? String(label.dropFirst()) : label, child.value)
            }
        }
    }

    /// Throws when the ``stateKeys`` of this module or of a descendant rename a property its class does not store,
    /// or give two properties one key: mistakes in a module's code that would otherwise save or load wrong names
    /// without a sign. Saving and loading state dicts call it.
    public func checkStateKeys() throws {
        for module in modules() {
            let type = String(describing: Swift.type(of: module)), keys = Swift.type(of: module).stateKeys
            let names = module.storedProperties().map(\.name)
            for name in keys.keys.sorted() where !names.contains(name) {
                throw NNError.invalidConfiguration("\(type).stateKeys renames '\(name)', which is not a stored property of \(type)")
            }
            var owners: [String: String] = [:]
            for name in names {
                let key = keys[name] ?? name
                // Only a renaming can make a clash: Swift gives the unrenamed properties of one class distinct names.
                if let other = owners[key], keys[other] != nil || keys[name] != nil {
                    throw NNError.invalidConfiguration("\(type).stateKeys gives '\(other)' and '\(name)' the same state-dict key '\(key)'")
                }
                owners[key] = name
            }
        }
    }

    /// All parameters of this module and its descendants with dotted names (`blocks.0.conv.weight`).
    public func namedParameters() -> [(String, Variable)] {
        var result = namedOwnParameters
        for (name, child) in namedChildren {
            result += child.namedParameters().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// All parameters, in the order of ``namedParameters()``.
    public func parameters() -> [Variable] { namedParameters().map(\.1) }

    /// The parameters that are not frozen.
    public func trainableParameters() -> [Variable] { parameters().filter(\.requiresGrad) }

    /// All buffers of this module and its descendants with dotted names.
    public func namedBuffers() -> [(String, Buffer)] {
        var result = namedOwnBuffers
        for (name, child) in namedChildren {
            result += child.namedBuffers().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// This module and every descendant.
    public func modules() -> [Module] { [self] + namedChildren.flatMap { $0.1.modules() } }

    /// Training mode (`true`) or evaluation mode, for this module and its descendants.
    public func train(_ on: Bool = true) {
        for m in modules() { m.isTraining = on }
    }

    /// Evaluation mode: BatchNorm uses running statistics, Dropout passes values through.
    public func eval() { train(false) }

    /// Stops gradients from being accumulated for every parameter. Gradients still flow *through* the
    /// module to whatever feeds it.
    public func freeze() { for p in parameters() { p.requiresGrad = false } }

    /// Makes every parameter trainable again.
    public func unfreeze() { for p in parameters() { p.requiresGrad = true } }

    /// Clears the accumulated gradients.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }
}
