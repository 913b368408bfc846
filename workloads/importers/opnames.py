"""Operators that are known and deliberately ignored by the importers.

Only GEMM-like work is simulated (linear, conv, matmul, attention) plus embedding traffic.
Everything below is *known* and left out without a warning: elementwise arithmetic,
activations, normalisations, pooling, softmax, dropout, reductions, tensor creation and pure
shape/view/indexing/dtype operations. Any other operator that produces a tensor — including
ones that carry MACs such as ``conv_transpose2d``, ``conv3d``, ``einsum``, ``lstm`` or ONNX
``ConvTranspose`` — is counted in ``ImportResult.unsupported`` and named in a warning.
"""

from __future__ import annotations

_ELEMENTWISE = """
add sub rsub mul div true_divide floor_divide truediv floordiv mod remainder fmod neg pos abs
pow sqrt rsqrt exp exp2 expm1 log log2 log10 log1p reciprocal sign square erf erfc erfinv
sin cos tan tanh sigmoid logit clamp clamp_min clamp_max clip minimum maximum fmax fmin
where masked_fill masked_scatter lerp addcmul addcdiv round floor ceil trunc frac nan_to_num
eq ne lt le gt ge equal logical_and logical_or logical_not logical_xor and_ or_ xor invert not_
bitwise_and bitwise_or bitwise_not bitwise_xor isnan isinf isfinite lshift rshift matches
mul_ add_ sub_ div_ copy_ fill_ zero_ detach detach_ clone
"""
_ACTIVATION = """
relu relu6 leaky_relu prelu rrelu elu selu celu gelu silu mish hardswish hardsigmoid
hardtanh softplus softsign tanhshrink threshold glu logsigmoid softmax log_softmax softmin
dropout dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout
"""
_NORM = """
layer_norm batch_norm group_norm instance_norm rms_norm local_response_norm normalize
"""
_POOL = """
avg_pool1d avg_pool2d avg_pool3d max_pool1d max_pool2d max_pool3d adaptive_avg_pool1d
adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d lp_pool2d
max_pool1d_with_indices max_pool2d_with_indices adaptive_max_pool2d_with_indices
interpolate upsample upsample_nearest upsample_bilinear pixel_shuffle pixel_unshuffle pad
"""
_REDUCE = """
sum mean prod max min amax amin argmax argmin std var norm cumsum cumprod logsumexp all any
topk sort argsort count_nonzero
"""
_SHAPE = """
view view_as reshape reshape_as transpose t permute contiguous flatten unflatten squeeze
unsqueeze expand expand_as repeat repeat_interleave tile cat concat concatenate stack hstack
vstack split split_with_sizes chunk unbind narrow select index_select gather scatter
scatter_add take masked_select getitem setitem getattr size dim numel shape dtype device
to type float half double bfloat16 int long bool cpu cuda type_as flip roll tril triu
movedim swapaxes swapdims diagonal diag_embed broadcast_to broadcast_tensors as_strided
tolist item len iter is_floating_point is_contiguous requires_grad_ new_zeros new_ones
new_full new_empty new_tensor index_put index_fill stride storage_offset data_ptr
get set and or not xor contains bool index hash format repr deepcopy T mT H
"""
_CREATE = """
arange zeros ones full empty zeros_like ones_like full_like empty_like rand randn randint
rand_like randn_like tensor as_tensor linspace logspace eye finfo iinfo scalar_tensor
"""

TORCH_IGNORED = frozenset(
    " ".join((_ELEMENTWISE, _ACTIVATION, _NORM, _POOL, _REDUCE, _SHAPE, _CREATE)).split()
)
"""Normalised torch function / method names that are known and carry no simulated work."""

TORCH_MODULES_IGNORED = frozenset(
    """
    Identity Flatten Unflatten Dropout Dropout1d Dropout2d Dropout3d AlphaDropout
    ReLU ReLU6 LeakyReLU PReLU ELU SELU CELU GELU SiLU Mish Hardswish Hardsigmoid Hardtanh
    Sigmoid Tanh Softplus Softsign Softmax LogSoftmax GLU Threshold
    LayerNorm BatchNorm1d BatchNorm2d BatchNorm3d GroupNorm InstanceNorm1d InstanceNorm2d
    RMSNorm LocalResponseNorm
    MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d
    AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d Upsample
    UpsamplingNearest2d UpsamplingBilinear2d PixelShuffle PixelUnshuffle ZeroPad2d
    ConstantPad1d ConstantPad2d ReflectionPad2d ReplicationPad2d ChannelShuffle
    """.split()
)
"""``torch.nn`` leaf module classes that are known and carry no simulated work."""

ONNX_IGNORED = frozenset(
    """
    Add Sub Mul Div Neg Abs Pow Sqrt Reciprocal Exp Log Erf Sin Cos Tanh Sigmoid Relu LeakyRelu
    PRelu Elu Selu Celu Gelu HardSigmoid HardSwish Softplus Softsign Mish Clip Min Max Mean Sum
    Where Equal Less LessOrEqual Greater GreaterOrEqual And Or Not Xor IsNaN IsInf Sign Floor
    Ceil Round Mod BitShift Softmax LogSoftmax Dropout LayerNormalization BatchNormalization
    InstanceNormalization GroupNormalization RMSNormalization SimplifiedLayerNormalization
    LpNormalization ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL2 ReduceSumSquare
    ArgMax ArgMin TopK CumSum MaxPool AveragePool GlobalAveragePool GlobalMaxPool Resize Upsample
    Pad DepthToSpace SpaceToDepth Reshape Transpose Concat Split Slice Squeeze Unsqueeze Flatten
    Expand Tile Shape Size Gather GatherElements GatherND ScatterND ScatterElements Constant
    ConstantOfShape Cast CastLike Identity Range Trilu NonZero OneHot EyeLike
    QuantizeLinear DequantizeLinear DynamicQuantizeLinear
    """.split()
)
"""ONNX op types that are known and carry no simulated work (a ``Gather`` on a 2-D
initializer is lowered as an embedding lookup before this list applies)."""


def normalise_torch_name(name: str) -> str:
    """``__iadd__``/``__radd__``/``add_`` → ``add``; ``__matmul__`` → ``matmul``."""
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if (name.startswith("i") and name[1:] in TORCH_IGNORED | {"matmul"}) or (
            name.startswith("r") and name[1:] in TORCH_IGNORED
        ):
            name = name[1:]
        return name
    if name.endswith("_") and not name.endswith("__") and name[:-1] in TORCH_IGNORED:
        return name[:-1]
    return name
