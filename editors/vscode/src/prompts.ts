// The sidecar's questions (`window/showMessageRequest`): the sidecar decides what to ask and
// what it means; VS Code shows Yes/No as a modal and other choices as a quick pick.

import * as vscode from 'vscode';
import { MessageActionItem, MessageType, ShowMessageRequestParams } from 'vscode-languageclient/node';

import { classifyQuestion } from './pure/messages';

export async function answerQuestion(params: ShowMessageRequestParams): Promise<MessageActionItem | null> {
  const question = classifyQuestion(params.message, params.actions);
  switch (question.kind) {
    case 'confirm': {
      const yes: vscode.MessageItem = { title: question.yes };
      const no: vscode.MessageItem = { title: question.no, isCloseAffordance: true };
      const show = params.type === MessageType.Warning || params.type === MessageType.Error
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
      const answer = await show(question.message, { modal: true, detail: question.detail }, yes, no);
      return { title: (answer ?? no).title };
    }
    case 'choice': {
      const picked = await vscode.window.showQuickPick(
        question.options.map((label) => ({ label })),
        { title: question.message, placeHolder: question.detail ?? question.message, ignoreFocusOut: true },
      );
      return picked ? { title: picked.label } : null;
    }
    default: {
      const show = params.type === MessageType.Error
        ? vscode.window.showErrorMessage
        : params.type === MessageType.Warning
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
      void show(question.detail ? `${question.message} ${question.detail}` : question.message);
      return null;
    }
  }
}
