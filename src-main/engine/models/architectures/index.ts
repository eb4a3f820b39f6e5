// Every built-in architecture by its config name.
import type { ArchitectureName } from '../../../shared/run-config';
import type { ArchitectureBuilder } from '../spec';
import { cifarCnn, convbn, convnet, lenet5, mlp } from './plain';
import { resnet18, resnet34, resnetSmall } from './resnet';

export const ARCHITECTURE_BUILDERS: Readonly<Record<ArchitectureName, ArchitectureBuilder>> = {
  mlp,
  convnet,
  convbn,
  'resnet-small': resnetSmall,
  'cifar-cnn': cifarCnn,
  lenet5,
  resnet18,
  resnet34,
};
